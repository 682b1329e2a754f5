import {
  type Address,
  type AddressOp,
  type AddressPatch,
  type Customer,
  type CustomerPatch,
  type CurrencyCode,
  clear,
  exempt,
  type FieldOp,
  isCountryCode,
  merge,
  type ShippingOp,
  set,
  type TaxId,
} from '../../schemas/index.ts';
import type { AddressParamMeteroid, ShippingParamMeteroid, UpdateRequestMeteroid } from './request.ts';

/** The tax id type Meteroid's `vat_number` reads and writes. */
export const vatType = 'VAT';

const memberOp = (value: string | null | undefined): FieldOp<string> => (value === null || value === undefined ? clear : set(value));

/**
 * Meteroid replaces an address whole: every member it knows is set or cleared. The members it
 * cannot show (Zenskar's line3, Bigcapital's contact email and phone, a country given as a name
 * that names no country) are kept: a write replaces only what the dialect can express.
 */
export function addressOp(param: AddressParamMeteroid): AddressOp {
  const patch: AddressPatch = {
    line1: memberOp(param.line1),
    line2: memberOp(param.line2),
    city: memberOp(param.city),
    state: memberOp(param.state),
    postal_code: memberOp(param.zip_code),
    country: memberOp(param.country),
  };
  return merge(patch);
}

/**
 * Replaces what Meteroid shows of shipping (flag and address); a name or phone stored elsewhere
 * stays. Same as billing, the address shown is the billing address, so the address sent with the
 * flag says nothing of the shipping address and leaves it as it is.
 */
export function shippingOp(param: ShippingParamMeteroid): ShippingOp {
  if (param.same_as_billing) return merge({ same_as_billing: set(true) });
  const address = param.address === null || param.address === undefined ? clear : addressOp(param.address);
  return merge({ same_as_billing: set(false), address });
}

/** Meteroid shows "" for a required string with no value (name, invoicing entity): "" is none. */
const requiredTextOp = (value: string): FieldOp<string> => (value === '' ? clear : set(value));

/** The country an EU-style VAT number starts with ("DE123…" -> DE; Greece writes "EL"), if any. */
export function vatCountry(vatNumber: string): string | null {
  const prefix = vatNumber.trim().slice(0, 2).toUpperCase();
  if (prefix === 'EL') return 'GR';
  return /^[A-Z]{2}$/.test(prefix) && isCountryCode(prefix) ? prefix : null;
}

/** Meteroid body -> canonical patch: absent and null leave a field unchanged; anything else sets it. */
export function toPatch(body: UpdateRequestMeteroid): CustomerPatch {
  const patch: { -readonly [K in keyof CustomerPatch]: CustomerPatch[K] } = {};
  if (body.alias != null) patch.alias = set(body.alias);
  if (body.name != null) patch.name = requiredTextOp(body.name);
  if (body.billing_email != null) patch.email = set(body.billing_email);
  if (body.invoicing_emails != null) patch.invoicing_emails = set([...body.invoicing_emails]);
  if (body.phone != null) patch.phone = set(body.phone);
  if (body.currency != null) patch.currency = set(body.currency);
  if (body.billing_address != null) patch.address = addressOp(body.billing_address);
  if (body.shipping_address != null) patch.shipping = shippingOp(body.shipping_address);
  if (body.invoicing_entity_id != null) patch.invoicing_entity_id = requiredTextOp(body.invoicing_entity_id);
  if (body.custom_taxes != null) {
    // A tax code is shown as "" where none is stored.
    patch.custom_taxes = set(
      body.custom_taxes.map((t) => ({ name: t.name, rate: t.rate, tax_code: t.tax_code === '' ? null : t.tax_code })),
    );
  }
  // A boolean cannot say "reverse charge": true is exempt of either kind (a reverse charge stays
  // one), false is none.
  if (body.is_tax_exempt != null) patch.tax_exempt = body.is_tax_exempt ? exempt : set('none');
  if (body.vat_number != null) {
    const entry: TaxId = { type: vatType, value: body.vat_number, country: vatCountry(body.vat_number) };
    patch.tax_ids = merge({ [vatType]: set(entry) });
  }
  return patch;
}

export interface AddressMeteroid {
  line1: string | null;
  line2: string | null;
  city: string | null;
  country: string | null;
  state: string | null;
  zip_code: string | null;
}

export interface CustomerMeteroid {
  id: string;
  name: string;
  alias: string | null;
  billing_email: string | null;
  invoicing_emails: string[];
  phone: string | null;
  currency: CurrencyCode;
  billing_address: AddressMeteroid | null;
  shipping_address: { same_as_billing: boolean; address: AddressMeteroid | null } | null;
  invoicing_entity_id: string;
  custom_taxes: { name: string; rate: string; tax_code: string }[];
  vat_number: string | null;
  /** Not in the seed's response, but Meteroid takes it on update: shown so a client can read it back. */
  is_tax_exempt: boolean;
}

export function renderAddress(address: Address | null): AddressMeteroid | null {
  if (!address) return null;
  return {
    line1: address.line1,
    line2: address.line2,
    city: address.city,
    country: address.country,
    state: address.state,
    zip_code: address.postal_code,
  };
}

/** The VAT entry of the canonical tax ids, the one `vat_number` shows. */
export const vatEntry = (taxIds: readonly TaxId[]): TaxId | undefined => taxIds.find((t) => t.type?.toUpperCase() === vatType);

export function render(c: Customer): CustomerMeteroid {
  return {
    id: c.public_id,
    // Meteroid's name and invoicing entity are required strings; "" stands for none stored.
    name: c.name ?? '',
    alias: c.alias,
    billing_email: c.email,
    invoicing_emails: [...c.invoicing_emails],
    phone: c.phone,
    currency: c.currency,
    billing_address: renderAddress(c.address),
    shipping_address: c.shipping
      ? {
          same_as_billing: c.shipping.same_as_billing,
          address: renderAddress(c.shipping.same_as_billing ? c.address : c.shipping.address),
        }
      : null,
    invoicing_entity_id: c.invoicing_entity_id ?? '',
    custom_taxes: c.custom_taxes.map((t) => ({ name: t.name, rate: t.rate, tax_code: t.tax_code ?? '' })),
    vat_number: vatEntry(c.tax_ids)?.value ?? null,
    // Reverse charge also means no tax on the invoice: closer to exempt than to none.
    is_tax_exempt: c.tax_exempt !== 'none',
  };
}
