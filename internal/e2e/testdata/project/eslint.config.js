export default [
  {
    rules: {
      'no-console': 'off',
    },
  },
];
