/** Entra's error text: the first line of error_description is the part an operator acts on. */
import { describe, expect, it } from 'vitest';
import { aadstsText } from '../../../adapters/acr/entra.ts';

describe('aadstsText: the first line of Entra error_description', () => {
  it.each([
    {
      name: 'CRLF separated trace lines',
      body: {
        error: 'invalid_client',
        error_description:
          'AADSTS70021: No matching federated identity record found.\r\nTrace ID: 1\r\nCorrelation ID: 2',
      },
      text: 'AADSTS70021: No matching federated identity record found.',
    },
    {
      name: 'space separated trace ids',
      body: {
        error: 'unauthorized_client',
        error_description:
          "AADSTS700016: Application with identifier 'x' was not found. Trace ID: 1 Correlation ID: 2 Timestamp: 3",
      },
      text: "AADSTS700016: Application with identifier 'x' was not found.",
    },
    { name: 'only error', body: { error: 'temporarily_unavailable' }, text: 'temporarily_unavailable' },
    { name: 'not JSON', body: undefined, text: undefined },
  ])('$name', ({ body, text }) => {
    expect(aadstsText(body)).toBe(text);
  });
});
