export const formatDate = (d: Date) => d.toISOString();
