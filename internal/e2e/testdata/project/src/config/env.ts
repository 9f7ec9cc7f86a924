// Reads settings from process.env; .env files are loaded by the runtime.
export const apiURL = process.env.API_URL ?? 'http://localhost:8080';
