import { passwordProblem } from './password-policy.js';

describe('password rules', () => {
  it.each([
    ['Correct-horse-42', null],
    ['lowercase-and-dashes', null],
    ['ONLYUPPER1', null],
    ['ąęśćżźółń1X', null],
  ])('accepts %s', (password, expected) => {
    expect(passwordProblem(password, 'ann@example.com')).toBe(expected);
  });

  it.each([
    ['Short-1', /at least 10/],
    ['alllowercaseletters', /two kinds/],
    ['12345678901234', /two kinds/],
    ['x'.repeat(150) + 'Y'.repeat(51), /at most 200/],
  ])('refuses %s', (password, problem) => {
    expect(passwordProblem(password, null)).toMatch(problem);
  });

  it('refuses the email address and its local part, whatever the case', () => {
    expect(passwordProblem('Ann.Smith@Example.com', 'ann.smith@example.com')).toMatch(/email/);
    expect(passwordProblem('ANN.SMITH-1', 'ann.smith-1@example.com')).toMatch(/email/);
  });

  it('refuses the passwords people use most, whatever the case', () => {
    for (const password of ['Password123', 'QWERTYUIOP1', '1q2w3e4r5t', 'Manchester']) {
      expect([password, passwordProblem(password, null)]).toEqual([
        password,
        expect.stringMatching(/too common/),
      ]);
    }
  });

  it('counts characters, not bytes', () => {
    expect(passwordProblem('ŻółwŻółw1', null)).toMatch(/at least 10/);
  });
});
