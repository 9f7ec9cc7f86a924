export function check(token) {
  return verify(token);
}
