/* staff-claims.js -- the provider side on the staff page (DESIGN.md §8):
 * next to the approve button, what the provider should give back and the
 * margin (highlighted when the reseller loses money); for finance, the
 * claims to file (with the CSV filing list and "filed" with the
 * provider's reference), the import of a provider's refund statement (a
 * file picker; the matching result line by line), and the margin report.
 * Hooks into staff.js: RD.providerMargin(request) and RD.staffViews. */
'use strict';

(() => {
  const { h, t, tc, $, api } = RD;

  RD.add({
    'pm.title': ['服务商退款（预计）', 'Provider refund (expected)'],
    'pm.expected': ['服务商应退', 'Provider returns'],
    'pm.customer': ['退给客户', 'To the customer'],
    'pm.margin': ['差额', 'Margin'],
    'pm.loss': ['亏损：服务商退回的少于退给客户的金额。', 'Loss: the provider returns less than the customer gets.'],
    'pm.gain': ['不亏损。', 'No loss.'],
    'pm.claim': ['追偿单 #{id}：{status}', 'Claim #{id}: {status}'],
    'pm.reasons': ['服务商规则', 'Provider rule'],
    'pm.version': ['规则版本 {v}', 'rule version {v}'],
    'pm.reason.window_closed': ['已过服务商无理由退款期', 'Past the provider\'s no-reason window'],
    'pm.reason.already_used': ['已用部分不退', 'Used part not refunded'],
    'pm.reason.voucher_not_refunded': ['代金券部分不退', 'Voucher part not refunded'],
    'pm.reason.not_refundable_type': ['服务商不退此类产品', 'Not refundable at the provider'],
    'pm.reason.no_provider_policy': ['没有该服务商的规则', 'No rule for this provider'],
    'pm.reason.handling_fee': ['服务商手续费', 'Provider fee'],
    'pm.reason.nothing_left': ['无可退金额', 'Nothing left'],

    'claims.title': ['服务商追偿', 'Provider claims'],
    'claims.caption': ['向服务商追偿的退款', 'Refund claims at the providers'],
    'claims.list': ['追偿单', 'Claims'],
    'claims.f.status': ['追偿状态', 'Claim status'],
    'claims.f.provider': ['服务商', 'Provider'],
    'claims.f.all_providers': ['全部服务商', 'All providers'],
    'claims.export': ['导出待提交清单（CSV）', 'Export the list to file (CSV)'],
    'claims.exported': ['已导出 {n} 条待提交的追偿。', 'Exported {n} claims to file.'],
    'claims.col.id': ['追偿单', 'Claim'],
    'claims.col.refund': ['退款申请', 'Refund'],
    'claims.col.provider': ['服务商 / 实例', 'Provider / instance'],
    'claims.col.expected': ['预计退回', 'Expected'],
    'claims.col.recovered': ['实际退回', 'Recovered'],
    'claims.col.status': ['状态', 'Status'],
    'claims.col.ref': ['服务商单号', 'Provider reference'],
    'claims.empty': ['没有追偿单。', 'No claims.'],
    'claims.filed': ['标记已提交', 'Mark filed'],
    'claims.filed.label': ['追偿单 #{id} 的服务商单号', 'Provider reference of claim #{id}'],
    'claims.filed.ok': ['追偿单 #{id} 已标记为已提交。', 'Claim #{id} marked filed.'],
    'claims.filed.empty': ['请填写服务商单号。', 'Enter the provider\'s reference.'],
    'cstatus.to_file': ['待提交', 'To file'],
    'cstatus.filed': ['已提交', 'Filed'],
    'cstatus.recovered': ['已退回', 'Recovered'],
    'cstatus.partially_recovered': ['部分退回', 'Partly recovered'],
    'cstatus.refused': ['被拒绝', 'Refused'],

    'stmt.title': ['导入服务商退款对账单', 'Import a provider statement'],
    'stmt.hint': ['CSV 文件（UTF-8）；列名按服务商配置；金额按所选币种读取，其他币种的追偿单不会被关闭。同一文件以同一币种重复导入不会重复入账。',
      'A CSV file (UTF-8); columns as configured per provider; amounts are read in the chosen currency, and claims in another currency are not closed. Importing the same file again in the same currency changes nothing.'],
    'stmt.provider': ['服务商', 'Provider'],
    'stmt.currency': ['币种', 'Currency'],
    'stmt.file': ['对账单文件', 'Statement file'],
    'stmt.submit': ['导入', 'Import'],
    'stmt.nofile': ['请选择对账单文件。', 'Choose a statement file.'],
    'stmt.done': ['已导入 {n} 行：匹配 {m}，金额不符 {x}，未知单号 {u}，重复 {d}，无效 {i}。', 'Imported {n} lines: {m} matched, {x} amount mismatches, {u} unknown, {d} duplicates, {i} invalid.'],
    'stmt.matched': ['已匹配', 'Matched'],
    'stmt.amount_mismatch': ['金额不符', 'Amount mismatch'],
    'stmt.unknown_ref': ['未知单号', 'Unknown reference'],
    'stmt.duplicate': ['重复', 'Duplicate'],
    'stmt.invalid': ['无效行', 'Invalid lines'],
    'stmt.line': ['第 {n} 行', 'Line {n}'],
    'stmt.expected_actual': ['预计 {e}，实际 {a}', 'expected {e}, actual {a}'],
    /* {line}, {column}: the problem's members (common.js problemNode) */
    'code.statement_syntax': ['对账单 CSV 格式错误（第 {line} 行附近），未导入任何内容。', 'The statement\'s CSV is broken near line {line}; nothing was imported.'],
    'code.statement_missing_column': ['对账单缺少配置的列“{column}”，未导入任何内容。', 'The statement lacks the configured column "{column}"; nothing was imported.'],
    'code.statement_not_utf8': ['对账单不是 UTF-8 编码，未导入任何内容。', 'The statement is not UTF-8; nothing was imported.'],
    'code.statement_empty': ['对账单为空。', 'The statement is empty.'],

    'margin.title': ['服务商退款与亏损报表', 'Provider recovery and loss'],
    'margin.group': ['分组', 'Group by'],
    'margin.group.provider': ['服务商', 'Provider'],
    'margin.group.product_type': ['产品类型', 'Product type'],
    'margin.group.month': ['月份', 'Month'],
    'margin.from': ['起始日期', 'From'],
    'margin.to': ['截止日期', 'To'],
    'margin.show': ['查看', 'Show'],
    'margin.caption': ['服务商退款与亏损', 'Recovery and loss at the providers'],
    'margin.col.key': ['分组', 'Group'],
    'margin.col.paid': ['已退客户', 'Refunds paid'],
    'margin.col.expected': ['预计退回', 'Expected recovery'],
    'margin.col.actual': ['实际退回', 'Actual recovery'],
    'margin.col.fees': ['服务商手续费', 'Provider fees'],
    'margin.col.loss': ['净亏损', 'Net loss'],
    'margin.col.open': ['未结追偿', 'Open claims'],
    'margin.empty': ['该期间没有数据。', 'Nothing in this period.'],
  });

  /* This file's strings arrive after the page's first translation pass. */
  RD.applyStatic($('#claims-section'));

  /* ---------- next to the approve button ---------- */

  function reasonText(code) {
    return RD.has(`pm.reason.${code}`) ? t(`pm.reason.${code}`) : code;
  }

  /* The provider figures of a request (staff answers only carry them). */
  RD.providerMargin = (r) => {
    const p = r && r.provider_figures;
    if (!p) return null;
    const loss = p.margin < 0;
    const box = h(`div.provider-margin${loss ? '.loss' : ''}`, { id: 'provider-margin', role: 'group',
      'aria-labelledby': 'provider-margin-h' },
    h('strong', { id: 'provider-margin-h' }, t('pm.title')),
    h('dl',
      h('dt', t('pm.expected')), h('dd', { id: 'pm-expected' }, RD.formatMoney(p.expected_recovery, p.currency)),
      h('dt', t('pm.customer')), h('dd', RD.formatMoney(p.customer_amount, p.currency)),
      h('dt', t('pm.margin')), h('dd', { id: 'pm-margin' }, RD.formatMoney(p.margin, p.currency))),
    h('small', loss ? t('pm.loss') : t('pm.gain')));
    if (p.reasons && p.reasons.length)
      box.append(h('small.muted', `${t('pm.reasons')}: ${p.reasons.map(reasonText).join('；')}`));
    if (p.policy_version) box.append(h('small.muted', ` ${p.provider} · ${t('pm.version', { v: p.policy_version })}`));
    if (p.claim) box.append(h('small', t('pm.claim', { id: p.claim.id, status: tc('cstatus', p.claim.status) })));
    return box;
  };

  /* ---------- the provider pickers ---------- */

  /* The claims filter and the statement's provider are <select>s, and the
   * queue's provider filter offers a list (#providers), of the providers
   * the desk knows: the [provider.NAME] sections of conf/refundd.conf
   * (GET /api/v1/config), then any other provider the API names in the
   * claims it lists or in the margin report by provider (both loaded at
   * sign-in). Finance can read no list of providers
   * (GET /api/v1/provider-policies is admin only), and a claim of a
   * provider outside the list must still be reachable by the filter. Each
   * option shows the provider's name in the page's language (common.js
   * provider.*), its value is the code. */
  const providers = [];
  const PICKERS = 'select[data-providers], #providers';
  function paintProviders() {
    for (const list of document.querySelectorAll(PICKERS)) {
      const have = new Set([...list.options].map((o) => o.value));
      for (const code of providers) if (!have.has(code)) list.append(h('option', { value: code }));
      for (const o of list.options) if (o.value) o.textContent = tc('provider', o.value);
    }
  }
  function knowProviders(codes) {
    const fresh = [...new Set(codes)].filter((c) => c && !providers.includes(c));
    if (!fresh.length) return;
    providers.push(...fresh);
    paintProviders();
  }
  /* the next person starts from the desk's list, nothing picked */
  function forgetProviders() {
    const desk = RD.config.providers;
    providers.splice(0, providers.length, ...desk);
    for (const list of document.querySelectorAll(PICKERS))
      for (const o of [...list.options]) if (o.value && !desk.includes(o.value)) o.remove();
    for (const sel of document.querySelectorAll('select[data-providers]')) sel.selectedIndex = 0;
  }
  RD.configReady.then(() => knowProviders(RD.config.providers));

  /* ---------- the finance view ---------- */

  const alert = RD.messenger($('#claims-alert'));
  const state = { claims: [], cursor: null };

  function claimRow(k) {
    const ref = h('input', { type: 'text', id: `claim-ref-${k.id}`, maxlength: 128, autocomplete: 'off',
      'aria-label': t('claims.filed.label', { id: k.id }) });
    const file = h('button.secondary', { type: 'button', dataset: { action: 'filed', claim: k.id } }, t('claims.filed'));
    file.addEventListener('click', (ev) => RD.busy(ev.currentTarget, async () => {
      alert.clear();
      if (!ref.value.trim()) {
        ref.setAttribute('aria-invalid', 'true');
        alert.text(() => t('claims.filed.empty'), 'error');
        ref.focus();
        return;
      }
      try {
        await api('POST', `/api/v1/provider-claims/${k.id}/filed`, { body: { claim_ref: ref.value.trim() } });
        alert.text(() => t('claims.filed.ok', { id: k.id }), 'ok');
        await loadClaims();
      } catch (e) {
        if (e.status === 401) return;
        alert.error(e);
        /* the reference is what was refused: mark it and go back to it */
        if (['claim_ref_taken', 'too_long', 'invalid_value', 'missing_field'].includes(e.code) && ref.isConnected) {
          ref.setAttribute('aria-invalid', 'true');
          ref.focus();
        } else alert.focus();
      }
    }));
    return h('tr', { dataset: { claim: k.id } },
      h('td', `#${k.id}`),
      h('td', `#${k.refund_id}`),
      h('td', tc('provider', k.provider), h('small.muted', k.upstream_ref)),
      h('td.num', RD.formatMoney(k.expected_amount, k.currency)),
      h('td.num', k.recovered_amount === null ? '—' : RD.formatMoney(k.recovered_amount, k.currency)),
      h('td', h(`span.badge.cstatus-${k.status}`, tc('cstatus', k.status))),
      h('td', k.status === 'to_file' ? h('div.inline', ref, file) : (k.claim_ref || '—')));
  }

  function renderClaims() {
    const body = $('#claims-body');
    RD.clear(body);
    for (const k of state.claims) body.append(claimRow(k));
    $('#claims-empty').hidden = state.claims.length > 0;
    $('#claims-table').hidden = state.claims.length === 0;
    $('#claims-more').hidden = !state.cursor;
  }

  function claimQuery(more) {
    const q = new URLSearchParams();
    if ($('#c-status').value) q.set('status', $('#c-status').value);
    if ($('#c-provider').value) q.set('provider', $('#c-provider').value);
    if (more && state.cursor) q.set('cursor', state.cursor);
    return q;
  }

  async function loadClaims(more) {
    try {
      const page = await api('GET', `/api/v1/provider-claims?${claimQuery(more)}`);
      state.claims = more ? state.claims.concat(page.items) : page.items;
      state.cursor = page.next_cursor;
      knowProviders(page.items.map((k) => k.provider));
      renderClaims();
    } catch (e) { if (e.status !== 401) alert.error(e); }
  }

  $('#claims-filter').addEventListener('submit', (ev) => { ev.preventDefault(); RD.busy(ev.submitter, () => loadClaims()); });
  $('#claims-more').addEventListener('click', (ev) => RD.busy(ev.currentTarget, () => loadClaims(true)));
  $('#claims-export').addEventListener('click', (ev) => RD.busy(ev.currentTarget, async () => {
    alert.clear();
    try {
      const q = new URLSearchParams();
      if ($('#c-provider').value) q.set('provider', $('#c-provider').value);
      const text = String(await api('GET', `/api/v1/provider-claims?${q}`, { accept: 'text/csv' }) || '');
      const rows = Math.max(0, text.trim().split('\n').length - 1);
      const url = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
      const a = h('a', { href: url, download: 'provider-claims.csv' });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      alert.text(() => t('claims.exported', { n: rows }), 'ok');
    } catch (e) { if (e.status !== 401) alert.error(e); }
  }));

  /* ---------- statement import ---------- */

  /* The import's ?currency=: the statement's amounts are read in it, and
   * refundd refuses (currency_mismatch) a line whose claim is in another
   * one. Offered: the currencies refundd knows (GET /api/v1/config); the
   * server's default, CNY, is picked at first and for the next person. */
  const STMT_CURRENCY = 'CNY';
  function fillCurrencies() {
    const sel = $('#stmt-currency');
    const codes = RD.config.currencies.length ? RD.config.currencies : [STMT_CURRENCY];
    RD.clear(sel);
    for (const code of new Set([STMT_CURRENCY, ...codes])) sel.append(h('option', { value: code }, code));
    sel.value = STMT_CURRENCY;
  }
  RD.configReady.then(fillCurrencies);

  function resultList(key, items, line) {
    if (!items.length) return null;
    return h('div', { dataset: { result: key } }, h('h4', `${t(`stmt.${key}`)} (${items.length})`),
      h('ul', items.map((x) => h('li', t('stmt.line', { n: x.line }), ' · ', line(x)))));
  }

  function showResult(res) {
    const box = $('#stmt-result');
    RD.clear(box);
    box.hidden = false;
    const money = (v) => RD.formatMoney(v, res.currency);
    box.append(h('p', { id: 'stmt-summary' }, t('stmt.done', { n: res.lines, m: res.matched.length,
      x: res.amount_mismatch.length, u: res.unknown_ref.length, d: res.duplicate.length, i: res.invalid.length })));
    /* resultList answers null for an empty category; DOM append would
     * print that as the text "null", so only the lists with lines go in. */
    const lists = [
      resultList('matched', res.matched, (x) => `${x.ref} → #${x.claim_id} ${tc('cstatus', x.status)} ${money(x.actual)}`),
      resultList('amount_mismatch', res.amount_mismatch, (x) =>
        `${x.ref} #${x.claim_id}: ${t('stmt.expected_actual', { e: money(x.expected), a: money(x.actual) })}`),
      resultList('unknown_ref', res.unknown_ref, (x) => x.ref),
      resultList('duplicate', res.duplicate, (x) => `${x.ref} #${x.claim_id}`),
      resultList('invalid', res.invalid, (x) => h('span', { dataset: { reason: x.reason } }, tc('stmt.reason', x.reason))),
    ];
    box.append(...lists.filter(Boolean));
  }

  $('#stmt-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    RD.busy(ev.submitter, async () => {
      alert.clear();
      const file = $('#stmt-file').files[0];
      if (!file) {
        alert.text(() => t('stmt.nofile'), 'error');
        $('#stmt-file').focus();
        return;
      }
      const q = new URLSearchParams({ provider: $('#stmt-provider').value,
        currency: $('#stmt-currency').value || STMT_CURRENCY });
      try {
        const raw = await file.arrayBuffer();
        /* The same file again in the same currency answers its first result (and changes nothing). */
        const res = await api('POST', `/api/v1/provider-claims/statements?${q}`, { raw, contentType: 'text/csv' });
        showResult(res);
        await loadClaims();
      } catch (e) {
        if (e.status !== 401) alert.error(e);
      }
    });
  });

  /* ---------- the margin report ---------- */

  async function loadReport() {
    const q = new URLSearchParams({ group: $('#m-group').value });
    if ($('#m-from').value) q.set('from', $('#m-from').value);
    if ($('#m-to').value) q.set('to', $('#m-to').value);
    try {
      state.margin = await api('GET', `/api/v1/reports/margin?${q}`);
      state.marginGroup = q.get('group');
      if (q.get('group') === 'provider') knowProviders(state.margin.items.map((r) => r.key));
      renderMargin();
    } catch (e) { if (e.status !== 401) alert.error(e); }
  }

  /* A row is a key and a currency: each amount shows its currency, and
   * a key in two currencies is two rows, never one sum. Each cell names
   * its column (data-label): on a narrow screen the rows stack and the
   * header is hidden (style.css, table.report-table). */
  function renderMargin() {
    const rep = state.margin;
    if (!rep) return;
    const body = $('#margin-body');
    RD.clear(body);
    const td = (cls, col, text) => h(`td.${cls}`, { dataset: { col, label: t(`margin.col.${col}`) } }, text);
    /* a provider or product type by its name, as everywhere else; a month as it is */
    const names = { provider: 'provider', product_type: 'ptype' }[state.marginGroup];
    const keyText = (key) => (names ? tc(names, key) : key);
    for (const r of rep.items)
      body.append(h('tr', { dataset: { key: r.key, currency: r.currency } },
        h('th', { scope: 'row', 'data-label': t('margin.col.key') }, keyText(r.key)),
        td('num', 'paid', RD.formatMoney(r.customer_refunds_paid, r.currency)),
        td('num', 'expected', RD.formatMoney(r.expected_recovery, r.currency)),
        td('num', 'actual', RD.formatMoney(r.actual_recovery, r.currency)),
        td('num', 'fees', RD.formatMoney(r.fees, r.currency)),
        td(`num${r.net_loss > 0 ? '.loss' : ''}`, 'loss', RD.formatMoney(r.net_loss, r.currency)),
        td('num', 'open', String(r.open_claims))));
    $('#margin-empty').hidden = rep.items.length > 0;
    $('#margin-table').hidden = rep.items.length === 0;
  }
  $('#margin-form').addEventListener('submit', (ev) => { ev.preventDefault(); RD.busy(ev.submitter, () => loadReport()); });

  /* ---------- sign in and out (staff.js calls these) ---------- */

  const view = {
    signIn(me) {
      const finance = me.role === 'finance';
      const reports = ['finance', 'supervisor', 'admin'].includes(me.role);
      $('#claims-section').hidden = !reports;
      $('#claims-finance').hidden = !finance;
      if (finance) loadClaims();
      if (reports) loadReport();
    },
    signOut() {
      $('#claims-section').hidden = true;
      state.claims = [];
      state.cursor = null;
      state.margin = null;
      forgetProviders();
      $('#stmt-currency').value = STMT_CURRENCY;
      RD.clear($('#stmt-result'));
      $('#stmt-result').hidden = true;
      alert.clear();
    },
  };
  RD.staffViews = RD.staffViews || [];
  RD.staffViews.push(view);
  if (RD.staffMe) view.signIn(RD.staffMe);
  RD.onLang(() => { paintProviders(); if (state.claims.length) renderClaims(); renderMargin(); });
})();
