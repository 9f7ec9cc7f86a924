export function Btn() {
  return <button>old</button>;
}
