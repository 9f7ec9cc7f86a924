export function Button() {
  return <button color="blue">OK</button>;
}
