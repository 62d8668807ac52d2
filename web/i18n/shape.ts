/**
 * A dictionary's shape: `ko` is the source, every other language is typed `Shape<typeof ko…>`, so
 * tsc fails on a missing or extra string. Values are strings or functions returning one (for
 * numbers, dates and names put into a sentence).
 */
export type Shape<T> = {
  readonly [K in keyof T]: T[K] extends string
    ? string
    : T[K] extends (...args: infer A) => string
      ? (...args: A) => string
      : Shape<T[K]>;
};
