import { describe, expect, it } from 'vitest';
import { adoptTimer, type TimerValue } from '../../src/disappearing/timer-rule.ts';

describe('disappearing timer convergence rule', () => {
  it('takes a higher version, keeps a lower one', () => {
    expect(adoptTimer(undefined, { seconds: 60, version: 1, update: true })).toEqual({ seconds: 60, version: 1 });
    expect(adoptTimer({ seconds: 60, version: 1 }, { seconds: 0, version: 2 })).toEqual({ seconds: 0, version: 2 });
    expect(adoptTimer({ seconds: 60, version: 3 }, { seconds: 5, version: 2, update: true })).toBeUndefined();
    expect(adoptTimer({ seconds: 60, version: 3 }, { seconds: 60, version: 3 })).toBeUndefined();
  });

  it('breaks a tie the same way in either arrival order (shorter wins, off is longest)', () => {
    const pairs: [TimerValue, TimerValue][] = [
      [{ seconds: 30, version: 4 }, { seconds: 300, version: 4 }],
      [{ seconds: 0, version: 2 }, { seconds: 3600, version: 2 }],
    ];
    for (const [a, b] of pairs) {
      // Device A holds a and receives b; device B holds b and receives a.
      const onA = adoptTimer(a, { ...b, update: true }) ?? a;
      const onB = adoptTimer(b, { ...a, update: true }) ?? b;
      expect(onA).toEqual(onB);
    }
    expect(adoptTimer({ seconds: 300, version: 4 }, { seconds: 30, version: 4 })).toEqual({ seconds: 30, version: 4 });
    expect(adoptTimer({ seconds: 30, version: 4 }, { seconds: 0, version: 4 })).toBeUndefined();
  });

  it('treats a versionless sender as an older client', () => {
    // Its explicit change is taken as the next version.
    expect(adoptTimer({ seconds: 60, version: 5 }, { seconds: 10, version: 0, update: true })).toEqual({ seconds: 10, version: 6 });
    // Its ordinary messages do not override a versioned state...
    expect(adoptTimer({ seconds: 60, version: 5 }, { seconds: 10, version: 0 })).toBeUndefined();
    // ...but do while both sides are versionless.
    expect(adoptTimer(undefined, { seconds: 10, version: 0 })).toEqual({ seconds: 10, version: 0 });
    expect(adoptTimer({ seconds: 10, version: 0 }, { seconds: 10, version: 0 })).toBeUndefined();
  });
});
