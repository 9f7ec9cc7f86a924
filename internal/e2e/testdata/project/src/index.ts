import { formatDate } from './utils/date';

console.log(formatDate(new Date()));
