import type { Customer } from '../../schemas/index.ts';
import type { RenderPrincipal } from '../contract/dialect.ts';

// Retrieve answers, rendered once per customer object and sent again. A retrieve of an unchanged
// row gets the same customer object (src/core/kept-customers.ts), and a render is a pure function
// of the customer, the dialect, the caller's tenant and mode and the `expand[]` asked for (a render
// sees no more of the caller: `RenderPrincipal` in src/contract/dialect.ts): the answer is kept on
// the object, under all of those, so every key of a tenant shares it. It goes when the object
// does; at most `perCustomer` answers are kept on one customer.

const perCustomer = 16;

export class RenderedReads {
  readonly #answers = new WeakMap<Customer, Map<string, string>>();
  readonly #enabled: boolean;

  /** Off (`false`) where customers are not kept: every retrieve would make a new object anyway. */
  constructor(enabled: boolean) {
    this.#enabled = enabled;
  }

  /** The answer `render` gives for `customer`, from the last render of the same object for the same caller when there is one. */
  body(dialect: string, principal: RenderPrincipal, expand: readonly string[], customer: Customer, render: () => string): string {
    if (!this.#enabled) return render();
    const key = `${dialect}\n${principal.tenantId}\n${principal.livemode}\n${expand.join(',')}`;
    let answers = this.#answers.get(customer);
    const kept = answers?.get(key);
    if (kept !== undefined) return kept;
    const body = render();
    if (!answers) {
      answers = new Map();
      this.#answers.set(customer, answers);
    }
    if (answers.size >= perCustomer) answers.clear();
    answers.set(key, body);
    return body;
  }
}
