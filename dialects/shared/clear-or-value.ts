import type * as v from 'valibot';

// A parameter that is either one of its clears ("" or null, tried first) or a value: valibot's
// union tries the clears first and, for every value, makes an issue for each clear it is not
// (with its message formatted and the input stringified), then drops them when the value's own
// schema matches. An update sends values far more often than clears: Wooshpay's realistic update
// made 15 such issues, each thrown away. This runs the value's schema first when the input is not
// a clear; whatever the value's schema does not take goes through the union as before, so a clear,
// and every refusal with its issues, is exactly the union's.

type Run = v.BaseSchema<unknown, unknown, v.BaseIssue<unknown>>['~run'];

/** `union`, whose last option is `value` and whose others match only "" or null, with the value tried first. */
export function valueFirst<U extends v.GenericSchema>(union: U, value: v.GenericSchema): U {
  const unionRun: Run = union['~run'].bind(union);
  const valueRun: Run = value['~run'].bind(value);
  const run: Run = (dataset, config) => {
    const input = dataset.value;
    if (input !== '' && input !== null) {
      const out = valueRun({ value: input }, config);
      if (out.typed && out.issues === undefined) return out;
    }
    return unionRun(dataset, config);
  };
  return { ...union, '~run': run };
}
