/* app.js -- the customer refund form: sign in with the portal's hand-off
 * (#token=…) or a pasted token, see one's
 * orders and the refund each would get now (the policy engine's quote),
 * submit a request (idempotent: one key per submission, reused on
 * retries), follow one's requests and answer them: withdraw, reply to a
 * request for information, confirm or decline a changed approval, appeal
 * a rejection; cancel an unpaid order. */
'use strict';

(() => {
  const { h, t, tc, $, api } = RD;

  RD.add({
    'skip': ['跳到主要内容', 'Skip to the main content'],
    'app.title': ['退款服务', 'Refund desk'],
    'signin.title': ['申请退款', 'Ask for a refund'],
    'footer': ['退款服务 · 如有疑问请联系客服', 'Refund desk · contact support with any question'],
    'staff.only': ['此页面供客户使用，员工请使用审核工作台。', 'This page is for customers; staff use the review queue.'],
    'staff.link': ['打开审核工作台', 'Open the review queue'],

    'orders.title': ['我的订单', 'My orders'],
    'orders.caption': ['订单列表', 'Orders'],
    'orders.col.id': ['订单号', 'Order'],
    'orders.col.product': ['产品', 'Product'],
    'orders.col.amount': ['实付金额', 'Paid'],
    'orders.col.status': ['状态', 'Status'],
    'orders.col.paid_at': ['支付时间', 'Paid at'],
    'orders.col.actions': ['操作', 'Actions'],
    'orders.empty': ['暂无订单。', 'No orders yet.'],
    'orders.quote': ['查看可退金额', 'Check refund'],
    /* accessible names start with the visible text (WCAG 2.5.3, label in name) */
    'orders.quote.label': ['查看可退金额（订单 {id}）', 'Check refund (order {id})'],
    'orders.cancel': ['取消订单', 'Cancel order'],
    'orders.cancel.label': ['取消订单（未支付订单 {id}）', 'Cancel order (unpaid order {id})'],
    'orders.cancel.confirm': ['确认取消', 'Yes, cancel it'],
    'orders.cancel.keep': ['不取消', 'Keep it'],
    'orders.cancel.ask': ['确定取消订单 {id}？', 'Cancel order {id}?'],
    'orders.cancelled': ['订单 {id} 已取消。', 'Order {id} has been cancelled.'],

    'quote.title': ['退款报价', 'Refund quote'],
    'quote.for': ['订单 {id} · {name}', 'Order {id} · {name}'],
    'quote.amount': ['当前可退金额', 'Refundable now'],
    'quote.rule': ['适用规则', 'Rule'],
    'quote.window_ends': ['无理由退款截止', 'No-reason refund period ends'],
    'quote.policy_version': ['政策版本', 'Policy version'],
    'quote.reasons': ['说明', 'Notes'],
    'quote.remedy': ['建议', 'What you can do'],
    'quote.not_eligible': ['该订单目前不能申请退款。', 'This order cannot be refunded now.'],
    'quote.changed': ['退款金额已从 {from} 变为 {to}。请核对新的报价，确认后再次提交。',
      'The refund amount changed from {from} to {to}. Check the new quote and confirm to submit again.'],
    'quote.open_request': ['该订单已有进行中的退款申请，请在下方“我的退款申请”中查看。',
      'This order already has an open refund request; see "My refund requests" below.'],

    'form.title': ['提交退款申请', 'Request this refund'],
    'form.choose': ['请选择', 'Choose…'],
    'form.reason_code': ['退款原因', 'Reason'],
    'form.reason_text': ['详细说明（选填）', 'Details (optional)'],
    'form.payout_method': ['退款方式', 'Refund to'],
    'form.expected': ['申请退款金额：', 'Amount requested: '],
    'form.manual_note': ['该金额为预估，需客服人工审核后确定。', 'This amount is an estimate; support reviews it and decides.'],
    'form.submit': ['提交退款申请', 'Submit refund request'],
    'form.confirm_submit': ['确认新金额并提交', 'Confirm the new amount and submit'],
    'form.need_reason': ['请选择退款原因。', 'Choose a reason.'],
    'form.need_method': ['请选择退款方式。', 'Choose where the refund goes.'],
    'form.submitted': ['退款申请 #{id} 已提交，当前状态：{status}。', 'Refund request #{id} submitted; status: {status}.'],

    'refunds.title': ['我的退款申请', 'My refund requests'],
    'refunds.caption': ['退款申请列表', 'Refund requests'],
    'refunds.col.id': ['编号', 'No.'],
    'refunds.col.order': ['订单', 'Order'],
    'refunds.col.amount': ['金额', 'Amount'],
    'refunds.col.status': ['状态', 'Status'],
    'refunds.col.created': ['提交时间', 'Submitted'],
    'refunds.empty': ['暂无退款申请。', 'No refund requests yet.'],
    'refunds.open': ['详情', 'Details'],
    'refunds.open.label': ['查看退款申请 #{id}', 'Open refund request #{id}'],
    'refunds.open.name': ['详情（退款申请 #{id}）', 'Details (refund request #{id})'],

    'account.title': ['余额与通知', 'Balance and notifications'],
    'account.balance': ['账户余额', 'Account balance'],
    'account.notifications': ['最近通知', 'Latest notifications'],
    'account.none': ['暂无通知。', 'No notifications yet.'],
    'notify.line': ['退款申请 #{id}（订单 {order}）', 'Refund request #{id} (order {order})'],
    'notify.line.short': ['退款申请 #{id}', 'Refund request #{id}'],
    'notify.refund.submitted': ['退款申请已提交', 'Refund request submitted'],
    'notify.refund.approved': ['退款已批准', 'Refund approved'],
    'notify.refund.in_review': ['客服正在审核', 'Support is reviewing your request'],
    'notify.refund.needs_info': ['需要您补充信息', 'Support needs more information'],
    'notify.refund.decided': ['退款已有审核结果', 'Your refund has been decided'],
    'notify.refund.rejected': ['退款申请被拒绝', 'Refund request rejected'],
    'notify.refund.withdrawn': ['退款申请已撤回', 'Refund request withdrawn'],
    'notify.refund.appealed': ['申诉已提交', 'Appeal submitted'],
    'notify.refund.message': ['客服给您留言', 'New message from support'],
    'notify.refund.paying': ['退款打款中', 'Refund payout in progress'],
    'notify.refund.paid': ['退款已到账', 'Refund paid'],
    'notify.refund.payout_failed': ['退款打款失败，客服将重新处理', 'The payout failed; support will retry'],
    'detail.title': ['退款申请 #{id}', 'Refund request #{id}'],
    'detail.order': ['订单', 'Order'],
    'detail.requested': ['申请金额', 'Amount requested'],
    'detail.approved': ['批准金额', 'Amount approved'],
    'detail.method': ['退款方式', 'Refund to'],
    'detail.approved_method': ['批准的退款方式', 'Approved refund route'],
    /* short: the terms of the facts' grid share a phone's width with their values */
    'detail.proposed': ['拟批准金额（待复核）', 'Amount pending approval'],
    'detail.proposed_method': ['拟批准退款方式（待复核）', 'Route pending approval'],
    'detail.offered': ['提出的金额（待您确认）', 'Amount offered to you'],
    'detail.offered_method': ['提出的退款方式（待您确认）', 'Route offered to you'],
    'detail.reason': ['退款原因', 'Reason'],
    'detail.submitted': ['提交时间', 'Submitted'],
    'detail.due': ['预计处理期限', 'Decision due by'],
    'detail.arrival': ['预计到账', 'Money expected'],
    'detail.arrival.range': ['{from} 至 {to}', 'between {from} and {to}'],
    'detail.arrival.by': ['{to} 前', 'by {to}'],
    'detail.arrived': ['到账时间', 'Money arrived'],
    'detail.reject_reason': ['拒绝原因', 'Reason for rejection'],
    'detail.note': ['处理说明', 'Note from support'],
    'detail.quote': ['提交时的报价', 'Quote as submitted'],
    'detail.timeline': ['处理进度', 'Timeline'],
    'detail.messages': ['留言', 'Messages'],
    'detail.payouts': ['打款', 'Payouts'],
    'detail.payout.line': ['{amount} · {channel} · {status}', '{amount} · {channel} · {status}'],
    'detail.payout.expected': ['预计到账：{from} – {to}', 'Expected: {from} – {to}'],
    'detail.payout.settled': ['到账时间：{at}', 'Settled: {at}'],
    'detail.payout.failed': ['失败原因：{reason}', 'Failed: {reason}'],
    'detail.withdraw': ['撤回申请', 'Withdraw request'],
    'detail.withdraw.ask': ['确定撤回这笔退款申请？撤回后可重新申请。', 'Withdraw this refund request? You can ask again later.'],
    'detail.withdraw.confirm': ['确认撤回', 'Yes, withdraw'],
    'detail.withdrawn': ['退款申请 #{id} 已撤回。', 'Refund request #{id} withdrawn.'],
    'detail.needs_info': ['客服需要您补充信息：', 'Support needs more information:'],
    'detail.reply': ['回复客服', 'Reply to support'],
    'detail.message': ['给客服留言', 'Message support'],
    'detail.send': ['发送', 'Send'],
    'detail.sent': ['留言已发送。', 'Message sent.'],
    'detail.need_text': ['请输入内容。', 'Write something first.'],
    'detail.confirm.ask': ['客服批准退款 {approved}（{amethod}），与您申请的 {requested}（{method}）不同。请确认是否接受；如不接受，将视为您的申诉。',
      'Support approved {approved} ({amethod}), which differs from the {requested} ({method}) you asked for. Accept it, or decline (which counts as your appeal).'],
    'detail.confirm.ask.final': ['客服批准退款 {approved}（{amethod}），与您申请的 {requested}（{method}）不同。您的申诉机会已用过：如不接受，本申请将以“已拒绝”结束，之后您可以为该订单重新提交申请。',
      'Support approved {approved} ({amethod}), which differs from the {requested} ({method}) you asked for. Accept it, or decline: your one appeal is used, so declining ends this request as rejected (you may then submit a new request for the order).'],
    'detail.confirm': ['接受并确认', 'Accept'],
    'detail.decline': ['不接受', 'Decline'],
    'detail.confirmed': ['已确认，退款将按批准金额打款。', 'Confirmed; the approved amount will be paid.'],
    'detail.declined': ['已提交申诉，主管将复核。', 'Declined; a supervisor will review your appeal.'],
    'detail.declined.closed': ['您未接受批准结果，本申请已结束（已拒绝）。您可以为该订单重新提交退款申请。',
      'Declined; this request has ended as rejected. You may submit a new request for the order.'],
    'detail.declined.other': ['您未接受批准结果，当前状态：{status}。', 'Declined; status: {status}.'],
    'detail.appeal': ['提出申诉', 'Appeal'],
    'detail.appeal.label': ['申诉理由（选填）', 'Why should we look again? (optional)'],
    'detail.appeal.hint': ['每个申请只能申诉一次。', 'Each request can be appealed once.'],
    'detail.appealed': ['申诉已提交。', 'Appeal submitted.'],
    'detail.more_actions': ['您可以重新提交新的退款申请。', 'You may submit a new request for this order.'],

    'att.add': ['添加证明材料', 'Add evidence'],
    'att.hint': ['可上传付款凭证、截图等：PNG、JPEG 或 PDF 格式，每个文件不超过 5 MB，每个申请最多 5 个文件（还可上传 {left} 个）。',
      'Receipts, screenshots and the like: PNG, JPEG or PDF, at most 5 MB each, up to 5 files per request ({left} more allowed).'],
    'att.upload': ['上传', 'Upload'],
    'att.choose': ['请先选择文件。', 'Choose a file first.'],
    'att.bad_type': ['“{name}”不是 PNG、JPEG 或 PDF 文件，未上传。', '"{name}" is not a PNG, JPEG or PDF file; nothing was uploaded.'],
    'att.too_big': ['“{name}”超过 5 MB，未上传。', '"{name}" is larger than 5 MB; nothing was uploaded.'],
    'att.too_many': ['最多还能上传 {left} 个文件，您选择了 {n} 个。', 'You can add {left} more file(s); you chose {n}.'],
    'att.uploaded': ['已上传 {n} 个文件。', '{n} file(s) uploaded.'],
  });

  const store = RD.tokenStore('refundd.customer.token');
  const alert = RD.messenger($('#alert'));
  const notice = RD.messenger($('#notice'));
  const quoteAlert = RD.messenger($('#quote-alert'));
  const detailAlert = RD.messenger($('#detail-alert'));

  const state = {
    me: null,
    orders: [], ordersCursor: null,
    order: null, quote: null, quoteChanged: null,
    pending: null,          /* {json, key}: the submission in flight or to retry */
    refunds: [], refundsCursor: null,
    detail: null,
    cancelAsk: null,        /* order id whose cancel waits for a confirmation */
    withdrawAsk: false,
    balance: null, notifications: [],
  };

  /* ---------- sign in ---------- */

  function cleanToken(s) {
    return String(s || '').trim().replace(/^Bearer\s+/i, '').replace(/\s+/g, '');
  }

  async function signIn(token, { silent } = {}) {
    await RD.configReady;   /* times are shown in the reseller's zone */
    RD.setToken(token);
    alert.clear();
    let me;
    try {
      me = await api('GET', '/api/v1/me');
    } catch (e) {
      if (e.status !== 401) alert.error(e);
      RD.setToken('');
      if (!silent && e.status === 401) store.clear();
      return;
    }
    if (me.role !== 'customer') {
      RD.setToken('');
      store.clear();
      alert.nodes('error', () => [h('span', t('staff.only'), ' '), h('a', { href: 'staff.html' }, t('staff.link'))]);
      return;
    }
    store.set(token);
    state.me = me;
    $('#token-form').hidden = true;
    $('#who').hidden = false;
    paintWho();
    $('#orders-section').hidden = false;
    $('#refunds-section').hidden = false;
    $('#account-section').hidden = false;
    await Promise.all([loadOrders(), loadRefunds(), loadAccount()]);
  }

  function paintWho() {
    if (state.me) $('#who-text').textContent = t('who', { sub: state.me.sub, role: tc('role', state.me.role) });
  }

  function signOut(expired) {
    store.clear();
    RD.setToken('');
    Object.assign(state, { me: null, orders: [], order: null, quote: null, quoteChanged: null,
      refunds: [], detail: null, pending: null, balance: null, notifications: [] });
    for (const id of ['#orders-section', '#quote-section', '#refunds-section', '#account-section', '#detail-section', '#who'])
      $(id).hidden = true;
    $('#token-form').hidden = false;
    $('#token-input').value = '';
    notice.clear();
    quoteAlert.clear();
    detailAlert.clear();
    if (expired) alert.nodes('error', () => RD.signedOutNodes());
    else alert.clear();
    $('#token-input').focus();
  }

  RD.onUnauthorized(() => signOut(true));

  $('#token-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const tok = cleanToken($('#token-input').value);
    if (!tok) {
      alert.text(() => t('token.empty'), 'error');
      $('#token-input').setAttribute('aria-invalid', 'true');
      $('#token-input').focus();
      return;
    }
    $('#token-input').removeAttribute('aria-invalid');
    RD.busy(ev.submitter || $('#token-form button'), () => signIn(tok));
  });
  $('#signout').addEventListener('click', () => signOut(false));

  /* ---------- orders ---------- */

  async function loadOrders(more) {
    try {
      const q = more && state.ordersCursor ? `?limit=50&cursor=${encodeURIComponent(state.ordersCursor)}` : '?limit=50';
      const page = await api('GET', `/api/v1/orders${q}`);
      state.orders = more ? state.orders.concat(page.items) : page.items;
      state.ordersCursor = page.next_cursor || null;
      renderOrders();
    } catch (e) { if (e.status !== 401) alert.error(e); }
  }

  function renderOrders() {
    const body = RD.clear($('#orders-body'));
    for (const o of state.orders) {
      const selected = state.order && state.order.id === o.id;
      const actions = h('td.row-actions');
      if (state.cancelAsk === o.id) {
        actions.append(
          h('span.ask', t('orders.cancel.ask', { id: o.id }), ' '),
          h('button.danger', { type: 'button', dataset: { action: 'confirm-cancel', order: o.id },
            onclick: (ev) => cancelOrder(o, ev.currentTarget) }, t('orders.cancel.confirm')),
          ' ',
          h('button.secondary', { type: 'button', onclick: () => { state.cancelAsk = null; renderOrders(); focusOrder(o.id, 'cancel'); } }, t('orders.cancel.keep')));
      } else {
        actions.append(h('button.secondary', {
          type: 'button', 'aria-label': t('orders.quote.label', { id: o.id }),
          'aria-pressed': selected ? 'true' : 'false', dataset: { action: 'quote', order: o.id },
          onclick: (ev) => RD.busy(ev.currentTarget, () => selectOrder(o)),
        }, t('orders.quote')));
        if (o.status === 'unpaid') {
          actions.append(' ', h('button.secondary', {
            type: 'button', 'aria-label': t('orders.cancel.label', { id: o.id }),
            dataset: { action: 'cancel', order: o.id },
            /* the row is drawn again: focus goes to its confirm button */
            onclick: () => { state.cancelAsk = o.id; renderOrders(); focusOrder(o.id, 'confirm-cancel'); },
          }, t('orders.cancel')));
        }
      }
      body.append(h('tr', { class: selected ? 'selected' : '', dataset: { order: o.id } },
        h('td', h('code', o.id)),
        h('td', h('div', o.product_name),
          h('small.muted', `${tc('provider', o.provider)} · ${tc('ptype', o.product_type)}`)),
        h('td.num', RD.formatMoney(o.amount_paid, o.currency)),
        h('td', h(`span.badge.ostatus-${o.status}`, tc('ostatus', o.status))),
        h('td.hide-sm', RD.timeEl(o.paid_at)),
        actions));
    }
    $('#orders-empty').hidden = state.orders.length > 0;
    $('#orders-table').hidden = state.orders.length === 0;
    $('#orders-more').hidden = !state.ordersCursor;
  }

  /* keyboard focus to a button of an order's row after it is redrawn */
  function focusOrder(id, action) {
    const row = [...document.querySelectorAll('#orders-body tr')].find((tr) => tr.dataset.order === id);
    const b = row && (row.querySelector(`[data-action="${action}"]`) || row.querySelector('[data-action="quote"]'));
    if (b) b.focus();
  }

  async function cancelOrder(o, button) {
    alert.clear();
    await RD.busy(button, async () => {
      try {
        const updated = await api('POST', `/api/v1/orders/${encodeURIComponent(o.id)}/cancel`);
        state.cancelAsk = null;
        state.orders = state.orders.map((x) => (x.id === o.id ? { ...x, ...updated } : x));
        renderOrders();
        focusOrder(o.id, 'quote');
        notice.text(() => t('orders.cancelled', { id: o.id }), 'ok');
        if (state.order && state.order.id === o.id) {
          await selectOrder(state.orders.find((x) => x.id === o.id), { keepFocus: true });
          focusOrder(o.id, 'quote');   /* the rows were drawn again */
        }
      } catch (e) {
        state.cancelAsk = null;
        renderOrders();
        if (e.status !== 401) { alert.error(e); alert.focus(); }
      }
    });
  }

  $('#orders-refresh').addEventListener('click', (ev) => RD.busy(ev.currentTarget, () => loadOrders()));
  $('#orders-more').addEventListener('click', (ev) => RD.busy(ev.currentTarget, () => loadOrders(true)));

  /* ---------- quote ---------- */

  async function selectOrder(o, { keepFocus } = {}) {
    quoteAlert.clear();
    if (!keepFocus) notice.clear();
    if (!state.order || state.order.id !== o.id) {
      state.quoteChanged = null;
      state.pending = null;
      $('#refund-form').reset();
      paintCount();
    }
    state.order = o;
    try {
      state.quote = await api('GET', `/api/v1/orders/${encodeURIComponent(o.id)}/quote`);
    } catch (e) {
      if (e.status === 401) return;
      state.quote = null;
      quoteAlert.error(e);
    }
    renderOrders();
    renderQuote();
    $('#quote-section').hidden = false;
    if (!keepFocus) {
      $('#quote-section').scrollIntoView({ block: 'start' });
      $('#quote-section').focus({ preventScroll: true });
    }
  }

  function openRequestFor(orderId) {
    return state.refunds.find((r) => r.order_id === orderId &&
      !['paid', 'rejected', 'withdrawn'].includes(r.status));
  }

  function renderQuote() {
    const box = RD.clear($('#quote'));
    const q = state.quote;
    const o = state.order;
    const form = $('#refund-form');
    if (!o) return;
    box.append(h('p.quote-for', t('quote.for', { id: o.id, name: o.product_name })));
    if (!q) { form.hidden = true; return; }

    if (state.quoteChanged) {
      box.append(h('div.callout.warn', { role: 'note' }, t('quote.changed', {
        from: RD.formatMoney(state.quoteChanged.from, q.currency),
        to: RD.formatMoney(state.quoteChanged.to, q.currency),
      })));
    }

    box.append(h('div.quote-head', { dataset: { decision: q.decision } },
      h('div',
        h('div.muted', t('quote.amount')),
        h('div.amount', { id: 'quote-amount' }, RD.formatMoney(q.amount, q.currency))),
      h(`span.badge.decision-${q.decision}`, tc('decision', q.decision))));

    const facts = h('dl.facts',
      h('dt', t('quote.rule')), h('dd', tc('rule', q.rule)));
    if (q.window_ends_at) facts.append(h('dt', t('quote.window_ends')), h('dd', RD.timeEl(q.window_ends_at)));
    facts.append(h('dt', t('quote.policy_version')), h('dd', String(q.policy_version)));
    box.append(facts);

    const table = RD.breakdownTable(q);
    if (table) box.append(table);

    if (q.reasons && q.reasons.length) {
      box.append(h('h3', t('quote.reasons')), RD.reasonList(q.reasons));
    }
    const remedy = RD.remedyText(q.remedy);
    if (remedy) {
      const callout = h('div.callout.remedy', { role: 'note', dataset: { remedy: q.remedy.code } },
        h('strong', t('quote.remedy')), h('p', remedy));
      if (o.status === 'unpaid') {
        callout.append(h('button.secondary', {
          type: 'button', onclick: () => { state.cancelAsk = o.id; renderOrders(); $(`#orders-body tr[data-order="${CSS.escape(o.id)}"] .danger`)?.focus(); },
        }, t('orders.cancel')));
      }
      box.append(callout);
    }

    const open = openRequestFor(o.id);
    if (open) {
      box.append(h('p.callout', t('quote.open_request'), ' ',
        h('button.link-button', { type: 'button', onclick: () => openDetail(open.id) },
          t('refunds.open.label', { id: open.id }))));
      form.hidden = true;
      return;
    }
    if (!q.eligible) {
      box.append(h('p.muted', t('quote.not_eligible')));
      form.hidden = true;
      return;
    }
    form.hidden = false;
    renderPayoutOptions(q);
    $('#expected-amount').textContent = RD.formatMoney(q.amount, q.currency);
    $('#manual-note').hidden = q.decision !== 'manual_review';
    $('#submit-refund').textContent = t(state.quoteChanged ? 'form.confirm_submit' : 'form.submit');
  }

  function renderPayoutOptions(q) {
    const box = $('#payout-options');
    const prev = box.querySelector('input:checked');
    const methods = Array.isArray(q.payout_methods) ? q.payout_methods : [];
    const chosen = prev && methods.includes(prev.value) ? prev.value
      : methods.includes(q.payout_default) ? q.payout_default : methods[0];
    RD.clear(box);
    for (const m of methods) {
      const id = `payout-${m}`;
      box.append(h('div.radio',
        h('input', { type: 'radio', name: 'payout_method', id, value: m, checked: m === chosen }),
        h('label', { for: id }, tc('payout', m),
          m === 'original_route' && state.order ? h('small.muted', ` (${tc('pay', state.order.payment_method)})`) : null)));
    }
  }

  function paintCount() {
    $('#reason-text-count').textContent = `${$('#reason-text').value.length} / 2000`;
  }
  $('#reason-text').addEventListener('input', paintCount);

  /* ---------- submit ---------- */

  $('#refund-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const button = $('#submit-refund');
    if (button.disabled) return;
    quoteAlert.clear();
    notice.clear();
    const reason = $('#reason-code');
    const method = $('#payout-options input:checked');
    reason.removeAttribute('aria-invalid');
    if (!reason.value) {
      reason.setAttribute('aria-invalid', 'true');
      quoteAlert.text(() => t('form.need_reason'), 'error');
      reason.focus();
      return;
    }
    if (!method) {
      quoteAlert.text(() => t('form.need_method'), 'error');
      $('#payout-options input')?.focus();
      return;
    }
    const q = state.quote;
    const body = {
      order_id: state.order.id,
      reason_code: reason.value,
      reason_text: $('#reason-text').value.trim(),
      payout_method: method.value,
      expected_amount: q.amount,
    };
    /* One key per submission: a retry of the same body (after a network
     * error or a timeout) sends the same key, so it cannot create a second
     * request; a changed body (new amount after quote_changed) is a new
     * submission with a new key. */
    const json = JSON.stringify(body);
    if (!state.pending || state.pending.json !== json) state.pending = { json, key: RD.uuid() };
    await RD.busy(button, async () => {
      try {
        const created = await api('POST', '/api/v1/refunds', { body, idempotencyKey: state.pending.key });
        state.pending = null;
        state.quoteChanged = null;
        $('#refund-form').reset();
        paintCount();
        notice.text(() => t('form.submitted', { id: created.id, status: tc('status', created.status) }), 'ok');
        await loadRefunds();
        await refreshQuote();
        await openDetail(created.id, { data: created, keepNotice: true });
      } catch (e) {
        if (e.status === 401) return;
        const p = e.problem || {};
        if (e.code === 'quote_changed' && p.quote) {
          state.quoteChanged = { from: q.amount, to: p.quote.amount };
          state.quote = p.quote;
          renderQuote();
          quoteAlert.error(e);
          $('#quote-section').focus();
          return;
        }
        if (p.quote) {          /* not_eligible, payout_method_not_allowed: the quote now */
          state.quote = p.quote;
          renderQuote();
          e.problem.reasons = p.quote.reasons;
        }
        if (e.code === 'open_request_exists') await loadRefunds();
        quoteAlert.error(e);
      }
    });
  });

  async function refreshQuote() {
    if (!state.order) return;
    try {
      state.quote = await api('GET', `/api/v1/orders/${encodeURIComponent(state.order.id)}/quote`);
    } catch (e) { if (e.status !== 401) quoteAlert.error(e); }
    renderQuote();
  }

  /* ---------- my refund requests ---------- */

  async function loadRefunds(more) {
    try {
      const q = more && state.refundsCursor ? `?limit=50&cursor=${encodeURIComponent(state.refundsCursor)}` : '?limit=50';
      const page = await api('GET', `/api/v1/refunds${q}`);
      state.refunds = more ? state.refunds.concat(page.items) : page.items;
      state.refundsCursor = page.next_cursor || null;
      renderRefunds();
    } catch (e) { if (e.status !== 401) alert.error(e); }
    if (!more && state.balance) loadAccount();
  }

  /* The statuses in which the approved amount and route are the decision.
   * Before them an approval can still change: a second approver may
   * reject the first one's (awaiting_second_approval), the customer may
   * decline an offer (awaiting_confirmation); after a rejection or an
   * appeal the amount kept on the request was never granted. */
  const DECIDED = ['approved', 'paying', 'paid'];
  /* what the approved amount and route are called in each status they show in */
  const APPROVAL_LABELS = {
    approved: ['detail.approved', 'detail.approved_method'],
    paying: ['detail.approved', 'detail.approved_method'],
    paid: ['detail.approved', 'detail.approved_method'],
    awaiting_second_approval: ['detail.proposed', 'detail.proposed_method'],
    awaiting_confirmation: ['detail.offered', 'detail.offered_method'],
  };

  function refundAmount(r) {
    const approved = r.approved_amount !== null && r.approved_amount !== undefined;
    return approved && DECIDED.includes(r.status) ? r.approved_amount : r.quoted_amount;
  }

  /* The approved amount (and route, when not the one asked for) as facts,
   * named for what they are in this status; none where they mean nothing. */
  function approvalFacts(r) {
    const labels = APPROVAL_LABELS[r.status];
    if (!labels || r.approved_amount === null || r.approved_amount === undefined) return [];
    const [amountKey, methodKey] = labels;
    const facts = [h('dt', t(amountKey)), h('dd', { dataset: { fact: 'approved' } }, RD.formatMoney(r.approved_amount, r.currency))];
    if (r.approved_method && r.approved_method !== r.payout_method)
      facts.push(h('dt', t(methodKey)), h('dd', { dataset: { fact: 'approved-method' } }, tc('payout', r.approved_method)));
    return facts;
  }

  function renderRefunds() {
    const body = RD.clear($('#refunds-body'));
    for (const r of state.refunds) {
      const open = state.detail && String(state.detail.id) === String(r.id);
      body.append(h('tr', { class: open ? 'selected' : '', dataset: { refund: String(r.id), order: r.order_id, status: r.status } },
        h('td', `#${r.id}`),
        h('td', h('code', r.order_id)),
        h('td.num', RD.formatMoney(refundAmount(r), r.currency)),
        h('td', RD.statusBadge(r.status)),
        h('td.hide-sm', RD.timeEl(r.created_at)),
        h('td.row-actions', h('button.secondary', {
          type: 'button', 'aria-label': t('refunds.open.name', { id: r.id }),
          dataset: { action: 'open', refund: String(r.id) },
          onclick: (ev) => RD.busy(ev.currentTarget, () => openDetail(r.id)),
        }, t('refunds.open')))));
    }
    $('#refunds-empty').hidden = state.refunds.length > 0;
    $('#refunds-table').hidden = state.refunds.length === 0;
    $('#refunds-more').hidden = !state.refundsCursor;
  }

  $('#refunds-refresh').addEventListener('click', (ev) => RD.busy(ev.currentTarget, () => loadRefunds()));
  $('#refunds-more').addEventListener('click', (ev) => RD.busy(ev.currentTarget, () => loadRefunds(true)));

  /* ---------- balance and notifications ---------- */

  async function loadAccount() {
    try {
      const [bal, notes] = await Promise.all([
        api('GET', '/api/v1/balance'),
        api('GET', '/api/v1/notifications?limit=10'),
      ]);
      state.balance = bal;
      state.notifications = notes.items || [];
      renderAccount();
    } catch (e) { if (e.status !== 401) alert.error(e); }
  }

  function renderAccount() {
    const bal = state.balance;
    const amounts = bal && Array.isArray(bal.balances) ? bal.balances : [];
    $('#balance').textContent = amounts.length
      ? amounts.map((b) => RD.formatMoney(b.amount, b.currency)).join(' · ')
      : RD.formatMoney(0, 'CNY');
    const list = RD.clear($('#notifications'));
    for (const n of state.notifications) {
      const p = n.payload || {};
      list.append(h('li', { dataset: { kind: n.kind, refund: String(n.refund_id ?? '') } },
        RD.timeEl(n.created_at), ' ',
        h('strong', RD.has(`notify.${n.kind}`) ? t(`notify.${n.kind}`) : n.kind),
        n.refund_id ? [' · ', h('button.link-button.inline', {
          type: 'button', onclick: (ev) => RD.busy(ev.currentTarget, () => openDetail(n.refund_id)),
        }, p.order_id ? t('notify.line', { id: n.refund_id, order: p.order_id })
          : t('notify.line.short', { id: n.refund_id }))] : null));
    }
    if (!state.notifications.length) list.append(h('li.muted', t('account.none')));
  }

  $('#account-refresh').addEventListener('click', (ev) => RD.busy(ev.currentTarget, () => loadAccount()));

  /* ---------- one request ---------- */

  async function openDetail(id, { data, keepNotice } = {}) {
    detailAlert.clear();
    if (!keepNotice) notice.clear();
    state.withdrawAsk = false;
    try {
      state.detail = data || await api('GET', `/api/v1/refunds/${encodeURIComponent(id)}`);
    } catch (e) {
      if (e.status !== 401) alert.error(e);
      return;
    }
    renderDetail();
    renderRefunds();
    const sec = $('#detail-section');
    sec.hidden = false;
    sec.scrollIntoView({ block: 'start' });
    sec.focus({ preventScroll: true });
  }

  $('#detail-close').addEventListener('click', () => {
    state.detail = null;
    $('#detail-section').hidden = true;
    renderRefunds();
    $('#refunds-h').scrollIntoView();
  });

  /* After an action: the request as the API answered, the list, the quote. */
  async function applied(r, message) {
    state.detail = r;
    state.withdrawAsk = false;
    renderDetail();
    notice.text(message, 'ok');
    await loadRefunds();
    if (state.order && state.order.id === r.order_id) await refreshQuote();
  }

  /* A message is a create: sent again after a failure, it carries the same
   * Idempotency-Key (RD.retryKey), so it is stored once. */
  async function act(button, path, body, message) {
    detailAlert.clear();
    const url = `/api/v1/refunds/${encodeURIComponent(state.detail.id)}/${path}`;
    const request = path === 'messages' ? `${url} ${JSON.stringify(body)}` : null;
    await RD.busy(button, async () => {
      try {
        const r = await api('POST', url, body === undefined ? {} : { body,
          idempotencyKey: request ? RD.retryKey(request) : undefined });
        if (request) RD.retryKeyDone(request);
        await applied(r, () => message(r));
      } catch (e) {
        if (e.status === 401) return;
        /* refused by a state someone else made meanwhile (409: staff
         * decided, billing changed the order): show that state and what it
         * really allows, keeping what was typed */
        if (e.status === 409) await reloadDetail();
        detailAlert.error(e);
        detailAlert.focus();
      }
    });
  }

  async function reloadDetail() {
    try {
      const r = await api('GET', `/api/v1/refunds/${encodeURIComponent(state.detail.id)}`);
      state.detail = r;
      state.withdrawAsk = false;
      RD.keepValues($('#detail'), renderDetail);
    } catch (e) { /* the refusal is what the customer needs to read */ }
  }

  function textForm({ id, label, hint, submitLabel, required, onSubmit }) {
    const area = h('textarea', { id, rows: 3, maxlength: 4000, 'aria-describedby': hint ? `${id}-hint` : undefined });
    const button = h('button.primary', { type: 'submit' }, submitLabel);
    const form = h('form.inline-form', { novalidate: true },
      h('label', { for: id }, label), area,
      hint ? h('small.hint', { id: `${id}-hint` }, hint) : null,
      h('div.actions', button));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const text = area.value.trim();
      if (required && !text) {
        area.setAttribute('aria-invalid', 'true');
        detailAlert.text(() => t('detail.need_text'), 'error');
        area.focus();
        return;
      }
      area.removeAttribute('aria-invalid');
      onSubmit(text, button);
    });
    return form;
  }

  /* ---------- evidence ---------- */

  /* The states the server takes files in (409 refund_not_open otherwise). */
  const ATTACH_OPEN = ['submitted', 'in_review', 'needs_info', 'awaiting_second_approval', 'appealed',
    'awaiting_confirmation'];

  /* What is wrong with the chosen files before any is sent (the limits the
   * hint states); null when they may go. The server checks again, and
   * also the files' first bytes. */
  function checkFiles(files, left) {
    if (!files.length) return () => t('att.choose');
    if (files.length > left) return () => t('att.too_many', { left, n: files.length });
    for (const f of files) {
      if (!RD.attachmentType(f)) return () => t('att.bad_type', { name: f.name });
      if (f.size > RD.ATTACH_MAX_BYTES) return () => t('att.too_big', { name: f.name });
    }
    return null;
  }

  /* The file's SHA-256 in hex, what tells one file from another of the same
   * name and size; '' where the browser has no WebCrypto (not https). */
  async function fileDigest(f) {
    if (!crypto.subtle) return '';
    const d = await crypto.subtle.digest('SHA-256', await f.arrayBuffer());
    return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, '0')).join('');
  }

  /* One file after another; stops at the first refusal, showing it. */
  async function uploadFiles(files) {
    const id = state.detail.id;
    let done = 0;
    let refocus = false;
    try {
      for (const f of files) {
        /* the same file again after a failure keeps its key: stored once */
        const url = `/api/v1/refunds/${encodeURIComponent(id)}/attachments?name=${encodeURIComponent(f.name)}`;
        const request = `${url} ${f.size} ${await fileDigest(f)}`;
        await api('POST', url, { raw: f, contentType: RD.attachmentType(f), idempotencyKey: RD.retryKey(request) });
        RD.retryKeyDone(request);
        done++;
      }
    } catch (e) {
      if (e.status !== 401) {
        detailAlert.error(e);
        /* the file picker is what to fix (drawn again below when some went) */
        refocus = true;
      }
    }
    const fileFocus = () => {
      const input = $('#att-file');
      if (!refocus) return;
      if (input) { input.setAttribute('aria-invalid', 'true'); input.focus(); } else detailAlert.focus();
    };
    if (!done) { fileFocus(); return; }
    const r = await api('GET', `/api/v1/refunds/${encodeURIComponent(id)}`);
    state.detail = r;
    renderDetail();
    notice.text(() => t('att.uploaded', { n: done }), 'ok');
    fileFocus();
  }

  function uploadForm(left) {
    const input = h('input', { type: 'file', id: 'att-file', multiple: true, 'aria-describedby': 'att-hint',
      accept: '.png,.jpg,.jpeg,.pdf,image/png,image/jpeg,application/pdf' });
    const button = h('button.primary', { type: 'submit' }, t('att.upload'));
    const form = h('form.inline-form.upload-form', { novalidate: true },
      h('label', { for: 'att-file' }, t('att.add')), input,
      h('small.hint', { id: 'att-hint' }, t('att.hint', { left })),
      h('div.actions', button));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      detailAlert.clear();
      notice.clear();
      const files = [...input.files];
      const problem = checkFiles(files, left);
      if (problem) {
        input.setAttribute('aria-invalid', 'true');
        detailAlert.text(problem, 'error');
        input.focus();
        return;
      }
      input.removeAttribute('aria-invalid');
      RD.busy(button, () => uploadFiles(files));
    });
    return form;
  }

  /* Once paid out: when the money should arrive (expected_arrival_from and
   * expected_arrival: the channel's business days from the payout), or
   * when it did. */
  function arrivalNode(r) {
    const live = (r.payouts || []).filter((p) => p.status !== 'failed').pop();
    if (r.status === 'paid' && live && live.settled_at)
      return [h('dt', t('detail.arrived')), h('dd.arrival', RD.timeEl(live.settled_at))];
    if (r.status !== 'paying' || !r.expected_arrival) return null;
    const from = r.expected_arrival_from || r.expected_arrival;
    const to = r.expected_arrival;
    const text = new Date(from).getTime() === new Date(to).getTime()
      ? t('detail.arrival.by', { to: RD.formatTime(to) })
      : t('detail.arrival.range', { from: RD.formatTime(from), to: RD.formatTime(to) });
    return [h('dt', t('detail.arrival')), h('dd.arrival', { dataset: { from, to } }, text)];
  }

  /* Declining is the customer's one appeal; once that is used it ends the
   * request as rejected (fcgi/refund_state.c decline()), so the question
   * says which of the two it will be. */
  function confirmCallout(r) {
    const cur = r.currency;
    return h('div.callout.warn', { role: 'note', dataset: { final: r.appealed ? 'true' : 'false' } },
      h('p', t(r.appealed ? 'detail.confirm.ask.final' : 'detail.confirm.ask', {
        approved: RD.formatMoney(r.approved_amount, cur), amethod: tc('payout', r.approved_method || r.payout_method),
        requested: RD.formatMoney(r.quoted_amount, cur), method: tc('payout', r.payout_method),
      })),
      h('div.actions',
        h('button.primary', { type: 'button', dataset: { action: 'confirm' },
          onclick: (ev) => act(ev.currentTarget, 'confirm', undefined, () => t('detail.confirmed')) }, t('detail.confirm')),
        h('button.secondary', { type: 'button', dataset: { action: 'decline' },
          onclick: (ev) => act(ev.currentTarget, 'decline', undefined, declinedNotice) }, t('detail.decline'))));
  }

  /* What a decline did, read from the status the server answered. */
  function declinedNotice(r) {
    if (r.status === 'appealed') return t('detail.declined');
    if (r.status === 'rejected') return t('detail.declined.closed');
    return t('detail.declined.other', { status: tc('status', r.status) });
  }

  function renderDetail() {
    const r = state.detail;
    const box = RD.clear($('#detail'));
    if (!r) return;
    $('#detail-h').textContent = t('detail.title', { id: r.id });
    const cur = r.currency;
    const order = r.order || { id: r.order_id };

    box.append(h('p.detail-status', RD.statusBadge(r.status)));

    const dl = h('dl.facts',
      h('dt', t('detail.order')), h('dd', h('code', order.id), order.product_name ? ` · ${order.product_name}` : ''),
      h('dt', t('detail.requested')), h('dd', RD.formatMoney(r.quoted_amount, cur)),
      h('dt', t('detail.method')), h('dd', tc('payout', r.payout_method)));
    dl.append(...approvalFacts(r));
    dl.append(h('dt', t('detail.reason')), h('dd', tc('creason', r.reason_code), r.reason_text ? h('div.note', r.reason_text) : null),
      h('dt', t('detail.submitted')), h('dd', RD.timeEl(r.created_at)));
    if (['submitted', 'in_review', 'needs_info', 'awaiting_second_approval', 'appealed'].includes(r.status))
      dl.append(h('dt', t('detail.due')), h('dd.due', RD.timeEl(r.due_at)));
    const arrival = arrivalNode(r);
    if (arrival) dl.append(...arrival);
    if (r.reject_reason) dl.append(h('dt', t('detail.reject_reason')), h('dd', tc('reject', r.reject_reason)));
    if (r.decision_note) dl.append(h('dt', t('detail.note')), h('dd', r.decision_note));
    box.append(dl);

    /* what the customer can do now */
    const actions = h('div.detail-actions');
    if (r.status === 'awaiting_confirmation') actions.append(confirmCallout(r));
    if (r.status === 'needs_info') {
      const lastStaff = (r.messages || []).filter((m) => m.author_role !== 'customer').pop();
      actions.append(h('div.callout.warn', { role: 'note' },
        h('strong', t('detail.needs_info')), lastStaff ? h('p', lastStaff.body) : null,
        textForm({ id: 'reply-body', label: t('detail.reply'), submitLabel: t('detail.send'), required: true,
          onSubmit: (text, b) => act(b, 'messages', { body: text }, () => t('detail.sent')) })));
    } else if (['submitted', 'in_review', 'awaiting_second_approval', 'appealed', 'awaiting_confirmation', 'approved', 'paying'].includes(r.status)) {
      actions.append(h('details.more',
        h('summary', t('detail.message')),
        textForm({ id: 'message-body', label: t('detail.message'), submitLabel: t('detail.send'), required: true,
          onSubmit: (text, b) => act(b, 'messages', { body: text }, () => t('detail.sent')) })));
    }
    if (['submitted', 'in_review', 'needs_info'].includes(r.status)) {
      if (state.withdrawAsk) {
        actions.append(h('div.callout', { role: 'group', 'aria-label': t('detail.withdraw') },
          h('p', t('detail.withdraw.ask')),
          h('div.actions',
            h('button.danger', { type: 'button', dataset: { action: 'withdraw-confirm' },
              onclick: (ev) => act(ev.currentTarget, 'withdraw', undefined, (x) => t('detail.withdrawn', { id: x.id })) },
            t('detail.withdraw.confirm')),
            h('button.secondary', { type: 'button', onclick: () => { state.withdrawAsk = false; renderDetail(); $('#detail [data-action="withdraw"]')?.focus(); } },
              t('cancel')))));
        setTimeout(() => $('#detail [data-action="withdraw-confirm"]')?.focus(), 0);
      } else {
        actions.append(h('div.actions', h('button.secondary', { type: 'button', dataset: { action: 'withdraw' },
          onclick: () => { state.withdrawAsk = true; renderDetail(); } }, t('detail.withdraw'))));
      }
    }
    if (r.status === 'rejected' && !r.appealed) {
      actions.append(textForm({ id: 'appeal-body', label: t('detail.appeal.label'), hint: t('detail.appeal.hint'),
        submitLabel: t('detail.appeal'), required: false,
        onSubmit: (text, b) => act(b, 'appeal', text ? { message: text } : {}, () => t('detail.appealed')) }));
    }
    if (r.status === 'rejected' || r.status === 'withdrawn') actions.append(h('p.muted', t('detail.more_actions')));
    if (actions.childNodes.length) box.append(actions);

    if (Array.isArray(r.payouts) && r.payouts.length) {
      box.append(h('h3', t('detail.payouts')), h('ul.payouts', r.payouts.map((p) => h('li', { dataset: { payout: String(p.id), status: p.status } },
        t('detail.payout.line', { amount: RD.formatMoney(p.amount, p.currency), channel: tc('pay', p.channel), status: tc('pstatus', p.status) }),
        p.status === 'settled' && p.settled_at ? h('div.muted', t('detail.payout.settled', { at: RD.formatTime(p.settled_at) }))
          : p.status === 'failed' ? h('div.muted', t('detail.payout.failed', { reason: p.failure_reason || '' }))
            : p.expected_at ? h('div.muted', t('detail.payout.expected', { from: RD.formatTime(p.expected_at), to: RD.formatTime(p.expected_latest_at || p.expected_at) })) : null))));
    }

    box.append(h('h3', t('att.title')), RD.attachmentList(r.id, r.attachments, detailAlert));
    const files = Array.isArray(r.attachments) ? r.attachments.length : 0;
    if (ATTACH_OPEN.includes(r.status) && files < RD.ATTACH_MAX_COUNT)
      box.append(uploadForm(RD.ATTACH_MAX_COUNT - files));

    box.append(h('h3', t('detail.timeline')), RD.timelineList(r.timeline));
    box.append(h('h3', t('detail.messages')), RD.messageList(r.messages));

    if (r.quote) {
      const qd = h('details.quote-submitted', h('summary', t('detail.quote')),
        h('p', h('strong', RD.formatMoney(r.quote.amount, r.quote.currency)), ' · ', tc('decision', r.quote.decision), ' · ', tc('rule', r.quote.rule)));
      const tb = RD.breakdownTable(r.quote);
      if (tb) qd.append(tb);
      const rl = RD.reasonList(r.quote.reasons);
      if (rl) qd.append(rl);
      box.append(qd);
    }
  }

  /* ---------- language ---------- */

  RD.onLang(() => {
    document.title = `${t('app.title')} · refundd`;
    paintWho();
    paintCount();
    renderOrders();
    renderQuote();
    renderRefunds();
    /* what was typed in the request's forms survives the switch */
    RD.keepValues($('#detail'), renderDetail);
    if (state.balance) renderAccount();
  });

  /* ---------- start ---------- */

  RD.bindLangToggle($('#lang-toggle'));
  RD.bindPortalLink($('#portal-signin'));
  RD.applyStatic();
  document.title = `${t('app.title')} · refundd`;
  /* A token handed over by the portal replaces any earlier session of
   * this tab; it is kept (sessionStorage) before the first call, so a
   * reload during sign-in keeps it. A refused one signs out (401). */
  const handed = RD.takeHandoff();
  if (handed) store.set(handed);
  const saved = store.get();
  if (saved) signIn(saved, { silent: !handed });
  else $('#token-input').focus();
  RD.onHandoff((tok) => { signOut(false); store.set(tok); signIn(tok); });
})();
