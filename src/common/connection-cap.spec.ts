import { defaultConnectionCap } from './connection-cap.js';

const limits = (soft: string) =>
  'Limit                     Soft Limit           Hard Limit           Units     \n' +
  'Max processes             95000                95000                processes \n' +
  `Max open files            ${soft.padEnd(21)}20000                files     \n`;

describe('default connection cap', () => {
  it('leaves a tenth of the open-file limit, at least 64, to everything but connections', () => {
    expect(defaultConnectionCap(limits('20000'))).toBe(18_000);
    expect(defaultConnectionCap(limits('1024'))).toBe(922);
    expect(defaultConnectionCap(limits('256'))).toBe(192);
  });

  it('sets no cap when the limit is unlimited or unknown', () => {
    expect(defaultConnectionCap(limits('unlimited'))).toBeNull();
    expect(defaultConnectionCap('')).toBeNull();
  });
});
