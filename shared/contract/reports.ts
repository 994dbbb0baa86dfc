/** Reports and exports (issue 7). */
export const reportMethods = {} as const;
export const reportEvents = {} as const;
