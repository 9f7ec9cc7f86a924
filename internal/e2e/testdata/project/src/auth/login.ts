export function login(valid: boolean) {
  if (!valid) throw new Unauthorized();
}

class Unauthorized extends Error {}
