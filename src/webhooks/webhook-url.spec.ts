import { AppError } from '../common/errors.js';
import { endpointUrl } from './webhook-url.js';

describe('webhook endpoint URLs', () => {
  it.each([
    ['http://hooks.example.com/in', 'webhook URLs must be https://'],
    ['ftp://hooks.example.com/in', 'webhook URLs must be https://'],
    ['https://127.0.0.1/in', 'webhook URLs may not lead to a private or reserved address'],
    ['https://10.0.0.8/in', 'webhook URLs may not lead to a private or reserved address'],
    ['https://169.254.169.254/latest', 'webhook URLs may not lead to a private or reserved address'],
    ['https://[::1]/in', 'webhook URLs may not lead to a private or reserved address'],
    ['https://[fd00::1]/in', 'webhook URLs may not lead to a private or reserved address'],
    ['https://2130706433/in', 'webhook URLs may not lead to a private or reserved address'],
    ['https://localhost:8443/in', 'webhook URLs may not lead to a private or reserved address'],
    ['https://user:pass@hooks.example.com/in', 'webhook URLs may not hold credentials'],
    ['hooks.example.com/in', 'url must be an absolute URL'],
  ])('refuses %s by default', (url, text) => {
    expect(() => endpointUrl(url, false)).toThrow(new AppError('invalid_params', text));
  });

  it('takes a public https URL', () => {
    expect(endpointUrl('https://hooks.example.com/in?x=1', false)).toBe('https://hooks.example.com/in?x=1');
    expect(endpointUrl('https://93.184.215.14/in', false)).toBe('https://93.184.215.14/in');
  });

  it('takes http:// and private addresses when the operator allowed them', () => {
    expect(endpointUrl('http://127.0.0.1:8080/in', true)).toBe('http://127.0.0.1:8080/in');
    expect(endpointUrl('https://10.0.0.8/in', true)).toBe('https://10.0.0.8/in');
    expect(() => endpointUrl('ftp://10.0.0.8/in', true)).toThrow(AppError);
  });
});
