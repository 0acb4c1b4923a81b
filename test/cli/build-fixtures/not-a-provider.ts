/** A module whose default export is not a provider: `credkit build` must refuse it. */
export default { name: 'not-a-provider' };
