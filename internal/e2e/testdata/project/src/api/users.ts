import { get } from './client';

export const fetchUser = (id: string) => get(`/users/${id}`);
