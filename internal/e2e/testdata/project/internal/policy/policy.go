package policy

// None is no opinion.
const None = 0
