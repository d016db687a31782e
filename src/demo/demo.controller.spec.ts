import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { publicFolder } from './demo.controller.js';

describe('publicFolder', () => {
  it('finds the page files in the source tree from the module that serves them', () => {
    expect(publicFolder()).toBe(resolve('src/demo/public'));
    for (const file of ['index.html', 'app.js', 'style.css'])
      expect(existsSync(join(publicFolder(), file))).toBe(true);
  });
});
