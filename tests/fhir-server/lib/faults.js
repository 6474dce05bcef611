'use strict';
// Fault injection rules set through /admin/faults. Each rule applies to the next `count`
// matching requests. A rule without `path` matches every FHIR request (never /admin, never the
// token endpoint); a rule with `path` matches any non-admin request whose path+query contains it.
class Faults {
  constructor() {
    this.rules = [];
  }

  clear() {
    this.rules = [];
  }

  // Returns an error string, or undefined when the rule was added.
  add(spec) {
    const count = spec.count === undefined ? 1 : Number(spec.count);
    if (!Number.isInteger(count) || count < 1) return 'count must be a positive integer';
    const rule = { remaining: count, path: spec.path ? String(spec.path) : undefined };
    if (spec.drop) {
      rule.drop = true;
    } else if (spec.hangMs !== undefined) {
      rule.hangMs = Number(spec.hangMs);
      if (!(rule.hangMs >= 0)) return 'hangMs must be >= 0';
    } else if (spec.status !== undefined) {
      rule.status = Number(spec.status);
      if (!(rule.status >= 100 && rule.status <= 599)) return 'status must be an HTTP status';
      if (spec.retryAfter !== undefined) rule.retryAfter = Number(spec.retryAfter);
    } else {
      return 'one of status, hangMs or drop is required';
    }
    this.rules.push(rule);
    return undefined;
  }

  // Consumes and returns the first rule matching the request, if any.
  take(url, isTokenEndpoint) {
    for (let i = 0; i < this.rules.length; i++) {
      const rule = this.rules[i];
      const matches = rule.path ? url.includes(rule.path) : !isTokenEndpoint;
      if (!matches) continue;
      rule.remaining--;
      if (rule.remaining <= 0) this.rules.splice(i, 1);
      return rule;
    }
    return undefined;
  }
}

module.exports = { Faults };
