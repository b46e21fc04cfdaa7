/* staff-policies.js -- the "Policies" view of the staff page, for admins:
 * each product type's current refund policy and its history (who, when,
 * what changed, field by field), a draft form, "Simulate" (POST
 * /api/v1/policies/{type}/simulate: the draft over the last requests, with
 * the summary and the requests it would change), and "Publish" (PUT, a new
 * version), which asks for confirmation showing the simulation it is based
 * on, and is offered only while the draft is the one simulated.
 * Money fields are typed in major units of the policy's limits_currency
 * (the currency of its approval limits) and parsed exactly (RD.parseMajor). */
'use strict';

(() => {
  const { t, tc, $, api, h } = RD;

  RD.add({
    'pol.title': ['退款政策', 'Refund policies'],
    'pol.caption': ['各产品类型的现行政策', 'The current policy of each product type'],
    'pol.col.type': ['产品类型', 'Product type'],
    'pol.col.version': ['版本', 'Version'],
    'pol.col.by': ['发布人', 'Published by'],
    'pol.col.at': ['发布时间', 'Published'],
    'pol.edit': ['查看与修改', 'View and change'],
    'pol.edit.label': ['查看与修改（{type}）', 'View and change ({type})'],
    'pol.current': ['{type} · 现行版本 {v}', '{type} · current version {v}'],
    'pol.history': ['版本历史', 'History'],
    'pol.history.first': ['首个版本', 'First version'],
    'pol.history.none': ['与上一版本相同', 'Same as the version before'],
    'pol.history.item': ['版本 {v} · {who} · ', 'Version {v} · {who} · '],
    'pol.change': ['{field}：{from} → {to}', '{field}: {from} → {to}'],
    'pol.draft': ['草稿', 'Draft'],
    'pol.draft.hint': ['修改下列规则后先模拟，再发布。发布会新增一个版本，旧版本保留。', 'Change the rules below, simulate, then publish. Publishing adds a version; old ones stay.'],
    'pol.from': ['模拟起始日期', 'Simulate from'],
    'pol.to': ['模拟截止日期', 'Simulate to'],
    'pol.simulate': ['模拟', 'Simulate'],
    'pol.publish': ['发布', 'Publish'],
    'pol.publish.need_sim': ['请先模拟当前草稿，再发布。', 'Simulate this draft before publishing it.'],
    'pol.confirm.title': ['确认发布', 'Confirm publishing'],
    'pol.confirm.text': ['将把 {type} 的政策发布为版本 {v}。依据的模拟（{from} 至 {to}）：', 'This publishes version {v} of the {type} policy. The simulation it is based on ({from} to {to}):'],
    'pol.confirm.go': ['确认发布', 'Publish now'],
    'pol.confirm.cancel': ['取消', 'Cancel'],
    'pol.published': ['{type} 已发布版本 {v}。', 'Version {v} of {type} published.'],
    'pol.sim.title': ['模拟结果', 'Simulation'],
    'pol.sim.stale': ['草稿已修改，模拟结果已过期。', 'The draft changed; this simulation is out of date.'],
    'pol.sim.requests': ['申请数', 'Requests'],
    'pol.sim.changed': ['结果变化', 'Would change'],
    'pol.sim.newly_refused': ['改为不可退', 'Newly refused'],
    'pol.sim.newly_eligible': ['改为可退', 'Newly eligible'],
    'pol.sim.skipped': ['无冻结输入（跳过）', 'Without frozen inputs (skipped)'],
    'pol.sim.amount_before': ['原退款总额', 'Refunded before'],
    'pol.sim.amount_after': ['新退款总额', 'Refunded after'],
    'pol.sim.delta': ['差额', 'Difference'],
    'pol.sim.by_decision': ['按结论', 'By decision'],
    'pol.sim.col.decision': ['结论', 'Decision'],
    'pol.sim.col.currency': ['币种', 'Currency'],
    'pol.sim.col.before': ['原', 'Before'],
    'pol.sim.col.after': ['新', 'After'],
    'pol.sim.items': ['会变化的申请', 'Requests that would change'],
    'pol.sim.none': ['没有申请会变化。', 'No request would change.'],
    'pol.sim.col.refund': ['申请', 'Request'],
    'pol.sim.col.order': ['订单', 'Order'],
    'pol.sim.col.reasons': ['原因', 'Reasons'],
    'pol.sim.more': ['加载更多变化', 'More changes'],
    'pol.yes': ['是', 'yes'],
    'pol.no': ['否', 'no'],
    'pol.f.refundable': ['可退款', 'Refundable'],
    'pol.f.window_rule': ['无理由期内', 'In the window'],
    'pol.f.window_days': ['无理由退款天数', 'No-reason window (days)'],
    'pol.f.window_requires_unused': ['须未使用', 'Must be unused'],
    'pol.f.after_window': ['期满后', 'After the window'],
    'pol.f.handling_fee_bps': ['手续费（基点，100 = 1%）', 'Handling fee (basis points, 100 = 1 %)'],
    'pol.f.deduct_third_party': ['扣除第三方费用', 'Deduct third-party costs'],
    'pol.f.promo_refundable': ['促销订单可退', 'Promotion purchases refundable'],
    'pol.f.monthly_limit': ['每月申请上限（0 = 不限）', 'Requests a month (0 = no limit)'],
    'pol.f.payout_methods': ['期内退款方式', 'Refund routes in the window'],
    'pol.f.payout_default': ['期内默认方式', 'Default route in the window'],
    'pol.f.payout_methods_after_window': ['期满后退款方式', 'Refund routes after the window'],
    'pol.f.payout_default_after_window': ['期满后默认方式', 'Default route after the window'],
    'pol.f.review_sla_days': ['审核时限（工作日）', 'Review deadline (business days)'],
    'pol.f.auto_approve_max': ['自动批准上限（{currency}，如 {example}；0 = 不自动）', 'Auto-approve up to ({currency}, e.g. {example}; 0 = never)'],
    'pol.f.second_approval_over': ['超过此金额须二次审批（{currency}，如 {example}）', 'Second approval above ({currency}, e.g. {example})'],
    'pol.invalid.int': ['“{field}”须为不超过 9 位的非负整数。', '“{field}” must be a whole number of at most 9 digits.'],
    'pol.invalid.money': ['“{field}”须为 {currency} 金额，最多 {e} 位小数，如 {example}。', '“{field}” must be an amount in {currency} with at most {e} decimals, e.g. {example}.'],
    'pol.f.limits_currency': ['审批限额币种（其他币种的申请一律人工审核并二次审批）', 'Currency of the approval limits (requests in another currency always get a person and a second approver)'],
    'pol.f.note': ['版本说明', 'Note for this version'],
    'pol.rule.full': ['全额', 'everything'],
    'pol.rule.unused_units': ['未使用部分', 'unused units'],
    'pol.rule.service_in_progress': ['服务进行中全额', 'everything while in progress'],
    'pol.after.none': ['不退', 'nothing'],
    'pol.after.prorata_time': ['按剩余时间', 'unused time'],
    'pol.after.prorata_usage': ['按未使用量', 'unused units'],
    'pol.after.negotiate': ['人工协商（剩余时间）', 'negotiated (unused time)'],
    'pol.method.original_route': ['原路退回', 'original route'],
    'pol.method.balance': ['账户余额', 'account balance'],
  });

  const FIELDS = [
    ['refundable', 'bool'], ['window_rule', 'enum', ['full', 'unused_units', 'service_in_progress'], 'pol.rule'],
    ['window_days', 'int'], ['window_requires_unused', 'bool'],
    ['after_window', 'enum', ['none', 'prorata_time', 'prorata_usage', 'negotiate'], 'pol.after'],
    ['handling_fee_bps', 'int'], ['deduct_third_party', 'bool'], ['promo_refundable', 'bool'],
    ['monthly_limit', 'int'], ['payout_methods', 'set'], ['payout_default', 'enum', ['original_route', 'balance'], 'pol.method'],
    ['payout_methods_after_window', 'set'],
    ['payout_default_after_window', 'enum', ['original_route', 'balance'], 'pol.method'],
    ['review_sla_days', 'int'], ['limits_currency', 'currency'],
    ['auto_approve_max', 'money'], ['second_approval_over', 'money'],
  ];
  /* The approval limits are minor units of the policy's limits_currency
   * (CNY for every policy stored before the field existed). */
  const limitsOf = (version) => version?.limits_currency || 'CNY';
  /* the currency picked in the draft, else the current version's */
  const draftCurrency = () => $('#pd-limits_currency')?.value || limitsOf(state.current);
  const section = $('#policies-section');
  const alertBox = h('div.msg', { role: 'alert', 'aria-live': 'assertive', hidden: true });
  const noticeBox = h('div.msg', { role: 'status', 'aria-live': 'polite', hidden: true });
  const alert = RD.messenger(alertBox);
  const notice = RD.messenger(noticeBox);
  /* simBody: the body of the simulation shown while the draft is unchanged
   * (publishing needs it); pageBody: the body of the simulation shown, which
   * "More changes" pages on even after an edit made it stale */
  const state = { list: [], type: null, current: null, versions: [], sim: null, simBody: null, pageBody: null, items: [], next: null };

  /* ---------- values shown and compared ---------- */

  function show(field, v, version) {
    const spec = FIELDS.find((f) => f[0] === field);
    if (!spec) return String(v ?? '');
    if (spec[1] === 'bool') return t(v ? 'pol.yes' : 'pol.no');
    if (spec[1] === 'enum') return tc(spec[3], v);
    if (spec[1] === 'set') return (v || []).map((m) => tc('pol.method', m)).join('、');
    if (spec[1] === 'money') return RD.formatMoney(v, limitsOf(version));
    return String(v);
  }
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

  /* ---------- the list ---------- */

  async function load() {
    alert.clear();
    try {
      state.list = (await api('GET', '/api/v1/policies')).items;
    } catch (e) { if (e.status !== 401) alert.error(e); return; }
    render();
  }

  function listTable() {
    return h('div.table-wrap', h('table.list#policies-table',
      h('caption.visually-hidden', t('pol.caption')),
      h('thead', h('tr', ['pol.col.type', 'pol.col.version', 'pol.col.by', 'pol.col.at'].map((k) =>
        h('th', { scope: 'col' }, t(k))), h('th', { scope: 'col' }, h('span.visually-hidden', t('queue.col.actions'))))),
      h('tbody', state.list.map((p) => h('tr', { dataset: { type: p.product_type } },
        h('td', h('strong', tc('ptype', p.product_type)), h('br'), h('code', p.product_type)),
        h('td', String(p.version)), h('td', p.created_by), h('td', RD.timeEl(p.created_at)),
        h('td.row-actions', h('button.secondary', { type: 'button', dataset: { action: 'policy', type: p.product_type },
          'aria-label': t('pol.edit.label', { type: p.product_type }), onclick: () => openType(p.product_type) },
        t('pol.edit'))))))));
  }

  /* ---------- one product type ---------- */

  async function openType(type) {
    alert.clear();
    notice.clear();
    try {
      const cur = await api('GET', `/api/v1/policies/${encodeURIComponent(type)}`);
      const versions = await Promise.all(cur.versions.map((v) => (v.version === cur.version ? cur
        : api('GET', `/api/v1/policies/${encodeURIComponent(type)}?version=${v.version}`))));
      Object.assign(state, { type, current: cur, versions, sim: null, simBody: null, pageBody: null, items: [], next: null });
    } catch (e) { if (e.status !== 401) alert.error(e); return; }
    render();
    $('#policy-h')?.focus();
  }

  function historyList() {
    /* newest first; each against the one before it */
    return h('ol.policy-history', state.versions.map((v, i) => {
      const prev = state.versions[i + 1];
      const changes = prev ? FIELDS.map(([f]) => f).filter((f) => !same(v[f], prev[f])) : [];
      return h('li', { dataset: { version: String(v.version) } },
        h('div', t('pol.history.item', { v: v.version, who: v.created_by }), RD.timeEl(v.created_at),
          v.note ? h('span.muted', ` — ${v.note}`) : null),
        !prev ? h('p.muted', t('pol.history.first'))
          : changes.length === 0 ? h('p.muted', t('pol.history.none'))
            : h('ul.changes', changes.map((f) => h('li', { dataset: { field: f } },
              t('pol.change', { field: t(`pol.f.${f}`), from: show(f, prev[f], prev), to: show(f, v[f], v) })))));
    }));
  }

  function input(field, kind, choices, prefix) {
    const id = `pd-${field}`;
    const v = state.current[field];
    if (kind === 'bool') {
      return h('div.field.check', h('input', { type: 'checkbox', id, name: field, checked: !!v, onchange: stale }),
        h('label', { for: id }, t(`pol.f.${field}`)));
    }
    if (kind === 'set') {
      return h('fieldset.field', { id }, h('legend', t(`pol.f.${field}`)),
        ['original_route', 'balance'].map((m) => h('div.check',
          h('input', { type: 'checkbox', id: `${id}-${m}`, name: field, value: m, checked: (v || []).includes(m), onchange: stale }),
          h('label', { for: `${id}-${m}` }, tc('pol.method', m)))));
    }
    if (kind === 'currency') {
      const known = RD.config.currencies;
      const codes = known.includes(limitsOf(state.current)) ? known : [limitsOf(state.current), ...known];
      return h('div.field', h('label', { for: id }, t(`pol.f.${field}`)),
        h('select', { id, name: field, onchange: () => { relabelMoney(); stale(); } }, codes.map((c) =>
          h('option', { value: c, selected: c === limitsOf(state.current) }, c))));
    }
    const control = kind === 'enum'
      ? h('select', { id, name: field, onchange: stale }, choices.map((c) =>
        h('option', { value: c, selected: c === v }, tc(prefix, c))))
      : h('input', { id, name: field, type: 'text', inputmode: kind === 'int' ? 'numeric' : 'decimal',
        value: kind === 'money' ? RD.minorToInput(v, limitsOf(state.current)) : String(v), oninput: stale });
    return h('div.field', h('label', { for: id }, fieldLabel(field)), control);
  }

  /* a field's label; money fields name the currency and a valid example */
  function fieldLabel(field) {
    const cur = draftCurrency();
    return t(`pol.f.${field}`, { currency: cur, example: RD.minorToInput(12345, cur) });
  }

  /* Another limits currency: the money labels name it (the typed amounts
   * stay as typed and are read in it). */
  function relabelMoney() {
    for (const [field, kind] of FIELDS) {
      const label = kind === 'money' && $(`label[for="pd-${field}"]`);
      if (label) label.textContent = fieldLabel(field);
    }
  }

  function draftForm() {
    return h('form#policy-draft.policy-draft', { novalidate: true, onsubmit: (ev) => { ev.preventDefault(); simulate(ev.submitter); } },
      h('h3', t('pol.draft')), h('p.hint', t('pol.draft.hint')),
      h('div.draft-grid', FIELDS.map(([f, kind, choices, prefix]) => input(f, kind, choices, prefix)),
        h('div.field', h('label', { for: 'pd-note' }, t('pol.f.note')),
          h('input', { id: 'pd-note', name: 'note', type: 'text', maxlength: '500', oninput: stale }))),
      h('div.filters',
        h('div.field', h('label', { for: 'pd-from' }, t('pol.from')),
          h('input', { id: 'pd-from', type: 'date', value: RD.zoneToday(90), onchange: stale })),
        h('div.field', h('label', { for: 'pd-to' }, t('pol.to')),
          h('input', { id: 'pd-to', type: 'date', value: RD.zoneToday(), onchange: stale })),
        h('button.primary#pd-simulate', { type: 'submit' }, t('pol.simulate')),
        h('button.secondary#pd-publish', { type: 'button', onclick: askPublish }, t('pol.publish'))),
      h('p.hint#pd-publish-hint', t('pol.publish.need_sim')));
  }

  /* The form as the API's policy body; null (with the field marked) when
   * a number is not one. */
  function draftBody() {
    const f = $('#policy-draft');
    const body = {};
    for (const [field, kind] of FIELDS) {
      const el = f.elements[field];
      if (kind === 'bool') body[field] = el.checked;
      else if (kind === 'set') body[field] = [...f.querySelectorAll(`input[name="${field}"]:checked`)].map((x) => x.value);
      else if (kind === 'enum' || kind === 'currency') body[field] = el.value;
      else {
        const text = el.value.trim();
        let v = null;
        const cur = draftCurrency();
        if (kind === 'money') { const p = RD.parseMajor(text, cur); v = p.ok ? p.value : null; }
        else if (/^\d{1,9}$/.test(text)) v = Number(text);
        if (v === null) {
          /* aria-invalid="true" (an empty attribute reads as false), and say what is wrong */
          el.setAttribute('aria-invalid', 'true');
          alert.text(() => t(kind === 'money' ? 'pol.invalid.money' : 'pol.invalid.int', {
            field: fieldLabel(field), currency: cur, e: RD.exponent(cur), example: RD.minorToInput(12345, cur),
          }), 'error');
          el.focus();
          return null;
        }
        el.removeAttribute('aria-invalid');
        body[field] = v;
      }
    }
    const note = f.elements.note.value.trim();
    if (note) body.note = note;
    return body;
  }

  /* the picked days in the reseller's time zone (RD.config) */
  function range() {
    return RD.dayRange($('#pd-from').value, $('#pd-to').value);
  }

  /* Any edit makes the simulation stale: publishing needs a fresh one. */
  function stale() {
    if (!state.sim) return;
    state.simBody = null;
    paintPublish();
    const s = $('#policy-sim');
    if (s && !s.querySelector('.sim-stale')) s.prepend(h('p.msg.msg-info.sim-stale', t('pol.sim.stale')));
  }

  function paintPublish() {
    const ok = !!state.simBody;
    const b = $('#pd-publish');
    if (b) {
      b.disabled = !ok;
      if (ok) b.removeAttribute('aria-describedby'); else b.setAttribute('aria-describedby', 'pd-publish-hint');
    }
    const hint = $('#pd-publish-hint');
    if (hint) hint.hidden = ok;
  }

  async function simulate(button, more) {
    alert.clear();
    const body = more ? state.pageBody : { policy: draftBody(), ...range() };
    if (!body || !body.policy) return;
    const q = new URLSearchParams({ limit: '50' });
    if (more && state.next) q.set('cursor', state.next);
    await RD.busy(button, async () => {
      try {
        const r = await api('POST', `/api/v1/policies/${encodeURIComponent(state.type)}/simulate?${q}`, { body });
        state.sim = more ? state.sim : r;
        state.items = more ? state.items.concat(r.items) : r.items;
        state.next = r.next_cursor;
        /* paging a stale simulation leaves it stale */
        if (!more || state.simBody) state.simBody = body;
        state.pageBody = body;
      } catch (e) { if (e.status !== 401) alert.error(e); return; }
      renderSim();
      paintPublish();
      if (!more) $('#policy-sim h3')?.focus();
    });
  }

  /* Counts of all requests, then the money of each currency on its own:
   * minor units of two currencies are never added (by_currency). */
  function summaryList(sim) {
    const s = sim.summary;
    const counts = [['requests', s.requests], ['changed', s.changed], ['newly_refused', s.newly_refused],
      ['newly_eligible', s.newly_eligible], ['skipped', s.skipped]]
      .map(([k, v]) => [h('dt', t(`pol.sim.${k}`)), h('dd', { dataset: { key: k } }, String(v))]);
    const money = sim.by_currency.flatMap((m) => ['amount_before', 'amount_after', 'delta']
      .map((k) => [h('dt', t(`pol.sim.${k}`)), h('dd', { dataset: { key: k, currency: m.currency } }, RD.formatMoney(m[k], m.currency))]));
    return h('dl.facts.sim-summary', counts.concat(money));
  }

  function renderSim() {
    const box = $('#policy-sim');
    const sim = state.sim;
    RD.clear(box);
    RD.append(box, [
      state.simBody ? null : h('p.msg.msg-info.sim-stale', t('pol.sim.stale')),
      h('h3', { tabindex: '-1' }, t('pol.sim.title')),
      h('p.muted.sim-range', (({ from, to }) => `${from} — ${to}`)(RD.formatDays(sim.from, sim.to))),
      summaryList(sim),
      h('h4', t('pol.sim.by_decision')),
      h('div.table-wrap', h('table.breakdown.sim-decisions',
        h('thead', h('tr', ['pol.sim.col.decision', 'pol.sim.col.currency', 'pol.sim.col.before', 'pol.sim.col.after'].map((k) => h('th', { scope: 'col' }, t(k))))),
        h('tbody', sim.by_decision.map((d) => h('tr', { dataset: { decision: d.decision, currency: d.currency } },
          h('th', { scope: 'row' }, tc('decision', d.decision)), h('td', d.currency),
          h('td', String(d.before)), h('td', String(d.after))))))),
      h('h4', t('pol.sim.items')),
      state.items.length === 0 ? h('p.muted.sim-none', t('pol.sim.none'))
        : h('div.table-wrap', h('table.list.sim-items',
          h('thead', h('tr', ['pol.sim.col.refund', 'pol.sim.col.order', 'pol.sim.col.before', 'pol.sim.col.after', 'pol.sim.col.reasons']
            .map((k) => h('th', { scope: 'col' }, t(k))))),
          h('tbody', state.items.map((it) => h('tr', { dataset: { refund: String(it.refund_id) } },
            h('td', `#${it.refund_id}`), h('td', it.order_id),
            h('td', `${tc('decision', it.before.decision)} · ${RD.formatMoney(it.before.amount, it.currency)}`),
            h('td', `${tc('decision', it.after.decision)} · ${RD.formatMoney(it.after.amount, it.currency)}`),
            h('td', it.after.reasons.map((r) => tc('reason', r)).join('、'))))))),
      state.next ? h('button.secondary#pd-more', { type: 'button', onclick: (ev) => simulate(ev.currentTarget, true) }, t('pol.sim.more')) : null,
    ]);
  }

  /* ---------- publishing ---------- */

  function askPublish() {
    if (!state.simBody) return;
    const box = $('#policy-confirm');
    const sim = state.sim;
    RD.clear(box);
    RD.append(box, [
      h('h3#policy-confirm-h', { tabindex: '-1' }, t('pol.confirm.title')),
      h('p', t('pol.confirm.text', { type: state.type, v: sim.draft_version,
        ...RD.formatDays(sim.from, sim.to) })),
      summaryList(sim),
      h('div.actions',
        h('button.primary#pd-confirm', { type: 'button', onclick: (ev) => publish(ev.currentTarget) }, t('pol.confirm.go')),
        h('button.secondary#pd-cancel', { type: 'button', onclick: closeConfirm }, t('pol.confirm.cancel'))),
    ]);
    box.hidden = false;
    $('#policy-confirm-h').focus();
  }
  function closeConfirm() {
    $('#policy-confirm').hidden = true;
    $('#pd-publish')?.focus();
  }

  async function publish(button) {
    const body = state.simBody && state.simBody.policy;
    if (!body) return;
    await RD.busy(button, async () => {
      try {
        const p = await api('PUT', `/api/v1/policies/${encodeURIComponent(state.type)}`, { body });
        const type = state.type;
        await load();
        await openType(type);
        notice.text(() => t('pol.published', { type, v: p.version }), 'ok');
      } catch (e) { if (e.status !== 401) alert.error(e); }
    });
  }

  /* ---------- painting ---------- */

  function render() {
    RD.clear(section);
    RD.append(section, [
      h('div.section-head', h('h2#policies-h', t('pol.title'))),
      alertBox, noticeBox, listTable(),
    ]);
    if (!state.current) return;
    const cur = state.current;
    RD.append(section, [h('div.policy-detail',
      h('h3#policy-h', { tabindex: '-1' }, t('pol.current', { type: cur.product_type, v: cur.version })),
      h('h4', t('pol.history')), historyList(),
      draftForm(),
      h('div#policy-confirm.panel.confirm', { role: 'region', 'aria-labelledby': 'policy-confirm-h', hidden: true }),
      h('div#policy-sim.sim'))]);
    if (state.sim) renderSim();
    paintPublish();
  }

  /* staff.js signs views in and out (RD.staffViews). */
  const view = {
    signIn(me) {
      section.hidden = me.role !== 'admin';
      if (!section.hidden) load();
    },
    signOut() {
      section.hidden = true;
      Object.assign(state, { list: [], type: null, current: null, versions: [], sim: null, simBody: null, pageBody: null, items: [], next: null });
      RD.clear(section);
    },
  };
  RD.staffViews = RD.staffViews || [];
  RD.staffViews.push(view);
  if (RD.staffMe) view.signIn(RD.staffMe);
  /* A language switch repaints; the draft as typed is kept. */
  RD.onLang(() => {
    if (section.hidden || !state.list.length) return;
    const f = $('#policy-draft');
    const kept = f ? [...f.elements].map((el) => [el.id, el.type === 'checkbox' ? el.checked : el.value]) : [];
    render();
    for (const [id, v] of kept) {
      const el = id && document.getElementById(id);
      if (el) { if (el.type === 'checkbox') el.checked = v; else el.value = v; }
    }
    relabelMoney();   /* in the limits currency as picked, not as stored */
    paintPublish();
  });
})();
