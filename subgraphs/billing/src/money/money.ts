import { Field, Int, ObjectType, registerEnumType } from "type-graphql";

/** Currencies billing charges in. */
export enum Currency {
  USD = "USD",
}
registerEnumType(Currency, { name: "Currency", description: "ISO 4217 code of the currency an amount is in." });

/** An amount of money: integer cents (never a float) plus its currency. */
@ObjectType({ description: "An amount of money in integer cents of its currency." })
export class Money {
  @Field(() => Int, { description: "The amount in cents (1/100 of the currency unit)." })
  amountCents!: number;

  @Field(() => Currency)
  currency!: Currency;
}

/** `amountCents` US cents. */
export function usd(amountCents: number): Money {
  return { amountCents, currency: Currency.USD };
}

/**
 * `numerator / denominator` rounded to the nearest integer, halves up, in integer
 * arithmetic (no float rounding error): how every prorated cent amount is rounded.
 */
export function divideRoundingHalfUp(numerator: number, denominator: number): number {
  if (!Number.isSafeInteger(numerator) || !Number.isSafeInteger(denominator) || numerator < 0 || denominator <= 0) {
    throw new RangeError(`cannot divide ${numerator} by ${denominator} in cents`);
  }
  return Math.floor((2 * numerator + denominator) / (2 * denominator));
}

/** `$1,234.56` for descriptions on invoices. */
export function formatUsd(amountCents: number): string {
  return `$${(amountCents / 100).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}
