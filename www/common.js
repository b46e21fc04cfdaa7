/* common.js -- shared by the customer page (app.js) and the staff page
 * (staff.js): strings in zh-CN and en, the API client (JWT bearer,
 * RFC 9457 problems), the portal's sign-in hand-off (#token=… in the
 * address, taken out of it at once), GET /api/v1/config (the reseller's
 * time zone and portal, the providers, the currencies), money in integer
 * minor units (formatting and exact parsing by string, never floating
 * point), times in the reseller's time zone, and a small DOM builder
 * that only ever sets text (never HTML), so nothing from the API or the
 * user can inject markup. No framework, no build step; loaded by a plain
 * <script src> under a CSP without 'unsafe-inline'. */
'use strict';

const RD = (() => {
  const LANGS = ['zh-CN', 'en'];
  const LANG_KEY = 'refundd.lang';

  /* ---------- strings ---------- */

  const S = { 'zh-CN': {}, en: {} };
  /* add({key: [zh, en], ...}) */
  function add(table) {
    for (const [k, [zh, en]] of Object.entries(table)) {
      S['zh-CN'][k] = zh;
      S.en[k] = en;
    }
  }

  add({
    'lang.toggle': ['English', '中文'],
    'lang.toggle.label': ['Switch to English', '切换到中文'],
    'token.label': ['访问令牌（JWT）', 'Access token (JWT)'],
    'token.hint': ['粘贴门户签发的令牌。令牌只保存在本标签页中，关闭即清除。',
      'Paste the token issued by the portal. It stays in this tab only and is cleared when you close it.'],
    'token.submit': ['登录', 'Sign in'],
    'token.signout': ['退出', 'Sign out'],
    'token.empty': ['请先粘贴访问令牌。', 'Paste an access token first.'],
    'token.expired': ['登录已过期或令牌无效，请重新粘贴令牌。', 'Your session has expired or the token is not valid. Paste a new token.'],
    'token.expired.portal': ['登录已过期或令牌无效，请通过门户重新登录。', 'Your session has expired or the token is not valid. Sign in again through the portal.'],
    'portal.back': ['返回门户登录', 'Back to the portal to sign in'],
    'portal.signin': ['通过门户登录', 'Sign in through the portal'],
    'who': ['已登录：{sub}（{role}）', 'Signed in as {sub} ({role})'],
    'loading': ['加载中…', 'Loading…'],
    'none': ['无', 'none'],
    'more': ['加载更多', 'Load more'],
    'refresh': ['刷新', 'Refresh'],
    'close': ['关闭', 'Close'],
    'cancel': ['取消', 'Cancel'],
    'yes': ['是', 'yes'],
    'no': ['否', 'no'],
    'err.network': ['网络错误，无法连接服务器，请稍后重试。', 'Network error: the server could not be reached. Try again shortly.'],
    'err.code': ['错误代码', 'code'],
    'err.request_id': ['请求编号', 'request id'],
    'err.unexpected': ['服务器返回了无法识别的响应。', 'The server sent an unexpected response.'],
    'err.generic': ['请求失败（{status}）', 'Request failed ({status})'],
    'err.forbidden': ['您的角色无权执行此操作。', 'Your role may not do this.'],
    'err.rate': ['请求过于频繁，请稍后再试。', 'Too many requests; try again in a moment.'],
    'err.unavailable': ['服务暂时不可用，请稍后重试。', 'The service is temporarily unavailable; try again shortly.'],
    'err.not_found': ['未找到该记录。', 'Not found.'],

    /* roles */
    'role.customer': ['客户', 'customer'],
    'role.support': ['客服', 'support'],
    'role.supervisor': ['主管', 'supervisor'],
    'role.finance': ['财务', 'finance'],
    'role.admin': ['管理员', 'admin'],
    'role.system': ['系统', 'system'],

    /* refund request statuses */
    'status.submitted': ['已提交', 'Submitted'],
    'status.in_review': ['审核中', 'In review'],
    'status.needs_info': ['待补充信息', 'Needs information'],
    'status.awaiting_second_approval': ['待二次审批', 'Awaiting second approval'],
    'status.awaiting_confirmation': ['待客户确认', 'Awaiting confirmation'],
    'status.approved': ['已批准', 'Approved'],
    'status.paying': ['打款中', 'Paying'],
    'status.paid': ['已退款', 'Paid'],
    'status.rejected': ['已拒绝', 'Rejected'],
    'status.appealed': ['申诉中', 'Appealed'],
    'status.withdrawn': ['已撤回', 'Withdrawn'],

    /* order statuses */
    'ostatus.unpaid': ['待支付', 'Unpaid'],
    'ostatus.paid': ['已支付', 'Paid'],
    'ostatus.cancelled': ['已取消', 'Cancelled'],
    'ostatus.expired': ['已过期', 'Expired'],

    /* product types */
    'ptype.api_credits': ['API 资源包', 'API credit pack'],
    'ptype.cloud_server': ['云服务器（包年包月）', 'Cloud server (prepaid)'],
    'ptype.cloud_server_payg': ['云服务器（按量付费）', 'Cloud server (pay-as-you-go)'],
    'ptype.traffic_package': ['流量包', 'Traffic package'],
    'ptype.saas_app': ['SaaS 应用', 'SaaS app'],
    'ptype.marketplace_service': ['云市场服务', 'Marketplace service'],
    'ptype.image_subscription': ['镜像（订阅）', 'Image (subscription)'],
    'ptype.image_payg': ['镜像（按量）', 'Image (pay-as-you-go)'],
    'ptype.api_product': ['API 产品', 'API product'],
    'ptype.tool_download': ['工具下载', 'Tool download'],

    /* providers */
    'provider.aliyun': ['阿里云', 'Alibaba Cloud'],
    'provider.huaweicloud': ['华为云', 'Huawei Cloud'],

    /* payout methods and payment methods */
    'payout.original_route': ['原路退回', 'Back to the original payment method'],
    'payout.balance': ['退至账户余额', 'To the account balance'],
    'pay.card': ['银行卡', 'card'],
    'pay.alipay': ['支付宝', 'Alipay'],
    'pay.wechat': ['微信支付', 'WeChat Pay'],
    'pay.bank_transfer': ['银行转账', 'bank transfer'],
    'pay.balance': ['账户余额', 'account balance'],

    /* quote decisions, rules, breakdown lines */
    'decision.full': ['全额退款', 'Full refund'],
    'decision.partial': ['部分退款', 'Partial refund'],
    'decision.none': ['不可退款', 'No refund'],
    'decision.manual_review': ['需人工审核', 'Manual review'],
    'rule.none': ['无', 'none'],
    'rule.not_refundable': ['不可退款', 'not refundable'],
    'rule.window_full': ['无理由退款期内全额退款', 'full refund within the no-reason period'],
    'rule.usage_window': ['退款期内退还未使用部分', 'unused part, within the refund period'],
    'rule.service_in_progress': ['服务进行中，全额退款', 'full refund while the service is in progress'],
    'rule.prorata_time': ['按剩余时长折算', 'pro rata by remaining time'],
    'rule.prorata_usage': ['按未使用量折算', 'pro rata by unused quantity'],
    'line.paid': ['实付金额', 'Amount paid'],
    'line.consumed_time': ['已使用时长', 'Time already used'],
    'line.used_units': ['已使用用量', 'Quantity already used'],
    'line.bonus_units': ['赠送用量（不退）', 'Gifted quantity (not refunded)'],
    'line.third_party_cost': ['第三方及硬件成本', 'Third-party and hardware costs'],
    'line.already_refunded': ['已退款或退款中', 'Already refunded or being refunded'],
    'line.handling_fee': ['手续费', 'Handling fee'],
    'line.rounding': ['舍入（按分向下取整）', 'Rounding (down to the minor unit)'],
    'units.count': ['{n} 单位', '{n} units'],
    'units.days': ['{n} 天', '{n} days'],

    /* reason codes of the policy engine */
    'reason.window_closed': ['已超过无理由全额退款期限', 'The no-reason full refund period has ended'],
    'reason.already_used': ['已使用的部分不予退款', 'The part already used is not refunded'],
    'reason.promo_purchase': ['促销活动购买的产品不支持退款', 'Products bought in a promotion cannot be refunded'],
    'reason.not_refundable_type': ['该类产品不支持退款', 'This type of product cannot be refunded'],
    'reason.service_completed': ['服务已完成，不支持退款', 'The service has been completed and cannot be refunded'],
    'reason.image_in_use': ['镜像正在使用中', 'The image is in use'],
    'reason.monthly_limit': ['本月该类产品的退款申请次数已达上限', "This month's limit of refund requests for this product type is reached"],
    'reason.order_unpaid': ['订单尚未支付', 'The order has not been paid'],
    'reason.order_cancelled': ['订单已取消', 'The order has been cancelled'],
    'reason.order_expired': ['订单已过期', 'The order has expired'],
    'reason.nothing_left': ['没有剩余可退的金额', 'Nothing is left to refund'],
    'reason.cannot_prorate': ['缺少时长或用量信息，无法折算退款金额', 'The refund cannot be prorated (the period or quantity is missing)'],
    'reason.bonus_not_refundable': ['赠送部分不予退款', 'Gifted (bonus) units are not refunded'],
    'reason.third_party_cost': ['已扣除第三方及硬件成本', 'Third-party and hardware costs are deducted'],
    'reason.already_refunded': ['已扣除已退款或退款中的金额', 'Amounts already refunded or being refunded are deducted'],
    'reason.handling_fee': ['已扣除手续费', 'A handling fee is deducted'],

    /* customer reason codes (POST /api/v1/refunds reason_code) */
    'creason.changed_mind': ['不想要了', 'Changed my mind'],
    'creason.bought_by_mistake': ['误购', 'Bought by mistake'],
    'creason.not_as_described': ['与描述不符', 'Not as described'],
    'creason.service_problem': ['服务有问题', 'Problem with the service'],
    'creason.duplicate_purchase': ['重复购买', 'Bought twice'],
    'creason.other': ['其他', 'Other'],

    /* staff reject reasons */
    'reject.policy_ineligible': ['不符合退款政策', 'Not eligible under the policy'],
    'reject.insufficient_information': ['信息不足', 'Insufficient information'],
    'reject.abuse_suspected': ['疑似滥用', 'Abuse suspected'],
    'reject.duplicate_request': ['重复申请', 'Duplicate request'],
    'reject.other': ['其他', 'Other'],

    /* payout statuses */
    'pstatus.pending': ['待发送', 'Pending'],
    'pstatus.sent': ['已发送', 'Sent'],
    'pstatus.settled': ['已到账', 'Settled'],
    'pstatus.failed': ['失败', 'Failed'],

    /* timeline actions (audit events); unknown ones are shown as they are */
    'action.refund.submit': ['提交申请', 'Request submitted'],
    'action.refund.submit_auto_approved': ['提交申请并自动批准', 'Submitted and approved automatically'],
    'action.refund.auto_approve': ['自动批准', 'Approved automatically'],
    'action.refund.claim': ['客服受理', 'Claimed by support'],
    'action.refund.request_info': ['要求补充信息', 'More information requested'],
    'action.refund.customer_reply': ['客户补充信息', 'Customer replied'],
    'action.refund.message': ['留言', 'Message'],
    'action.refund.approve': ['批准', 'Approved'],
    'action.refund.reject': ['拒绝', 'Rejected'],
    'action.refund.withdraw': ['撤回申请', 'Withdrawn'],
    'action.refund.appeal': ['提出申诉', 'Appealed'],
    'action.refund.confirm': ['客户确认', 'Confirmed by the customer'],
    'action.refund.decline': ['客户不同意', 'Declined by the customer'],
    'action.refund.payout_start': ['发起打款', 'Payout started'],
    'action.refund.payout_settled': ['退款到账', 'Payout settled'],
    'action.refund.payout_failed': ['打款失败', 'Payout failed'],

    /* common problem codes, so the customer reads their own language; the
     * server's detail is shown next to it */
    'code.quote_changed': ['退款金额已变化', 'The refund amount has changed'],
    'code.idempotency_key_reused': ['重复提交的内容不一致', 'A retried submission did not match the first one'],
    'code.order_not_found': ['订单不存在', 'Order not found'],
    'code.refund_not_found': ['退款申请不存在', 'Refund request not found'],
    'code.order_not_unpaid': ['只有未支付的订单可以取消', 'Only an unpaid order can be cancelled'],
    'code.open_request_exists': ['该订单已有进行中的退款申请', 'This order already has an open refund request'],
    'code.invalid_transition': ['当前状态不允许此操作', 'Not possible in the current status'],
    'code.already_claimed': ['该申请已由其他人受理', 'Another person has already claimed this request'],
    'code.invalid_amount': ['金额无效', 'The amount is not valid'],
    'code.amount_above_quote': ['金额高于报价，需要主管并填写理由', 'An amount above the quote needs a supervisor and a written reason'],
    'code.note_required': ['请填写说明', 'A note is required'],
    'code.same_approver': ['二次审批须由另一位审批人完成', 'The second approval must come from a different person'],
    'code.appeal_used': ['申诉机会已用过', 'The one appeal has already been used'],
    'code.exceeds_order_cap': ['超过该订单剩余可退金额', 'More than the order has left to refund'],
    'code.payout_method_not_allowed': ['该退款方式不可用', 'This payout method is not offered'],
    'code.payout_sent': ['该笔付款已发往支付渠道，只能由渠道回报失败', 'This payout was sent to the channel; only the channel can report it failed'],
    'code.second_approval_changes_terms': ['二次审批只能确认首次审批的金额和方式；如需修改请驳回', 'A second approval confirms the first one\'s amount and method; reject to change them'],
    'code.order_has_refunds': ['该订单已有退款申请，账户和币种不可更改', 'The order has refund requests; its account and currency cannot change'],
    'code.forbidden_role': ['您的角色无权执行此操作', 'Your role may not do this'],
    'code.idempotency_key_required': ['缺少幂等键', 'An Idempotency-Key is required'],
    'code.validation_failed': ['提交的内容无效', 'The submitted data is not valid'],
    'code.invalid_token': ['令牌无效或已过期', 'The token is invalid or has expired'],
    'code.not_eligible': ['该订单不符合退款条件', 'This order is not eligible for a refund'],
  });

  /* ---------- language ---------- */

  let lang = (() => {
    try {
      const v = localStorage.getItem(LANG_KEY);
      if (LANGS.includes(v)) return v;
    } catch { /* storage unavailable */ }
    return 'zh-CN';
  })();
  const listeners = [];

  function t(key, vars) {
    let s = S[lang][key];
    if (s === undefined) s = S['zh-CN'][key];
    if (s === undefined) return key;
    if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
    return s;
  }
  /* a code translated under a prefix, or the code itself when unknown */
  function tc(prefix, code) {
    if (code === null || code === undefined || code === '') return '';
    const key = `${prefix}.${code}`;
    return key in S[lang] ? S[lang][key] : String(code);
  }
  function has(key) { return key in S[lang]; }

  /* Static markup: data-i18n (text), data-i18n-placeholder,
   * data-i18n-aria-label, data-i18n-title. */
  function applyStatic(root = document) {
    for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
    for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
    for (const el of root.querySelectorAll('[data-i18n-aria-label]')) el.setAttribute('aria-label', t(el.dataset.i18nAriaLabel));
    for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
  }

  function setLang(l) {
    if (!LANGS.includes(l)) return;
    lang = l;
    try { localStorage.setItem(LANG_KEY, l); } catch { /* ignore */ }
    document.documentElement.lang = l;
    applyStatic();
    for (const fn of listeners) fn(l);
  }
  function onLang(fn) { listeners.push(fn); }
  function getLang() { return lang; }

  /* The toggle button: shows the other language, in that language. */
  function bindLangToggle(button) {
    const paint = () => {
      button.textContent = t('lang.toggle');
      button.setAttribute('lang', lang === 'zh-CN' ? 'en' : 'zh-CN');
      button.setAttribute('aria-label', t('lang.toggle.label'));
    };
    button.addEventListener('click', () => setLang(lang === 'zh-CN' ? 'en' : 'zh-CN'));
    onLang(paint);
    paint();
  }

  /* ---------- DOM ---------- */

  /* h('tag.class1.class2', {attrs}, ...children): children are nodes or
   * text; text is always a text node. Attributes starting with "on" take
   * a function (addEventListener), never a string. */
  function h(spec, attrs, ...children) {
    const id = /#([\w-]+)/.exec(spec);   // 'button.primary#go': an id too
    const [tag, ...classes] = (id ? spec.replace(id[0], '') : spec).split('.');
    const el = document.createElement(tag || 'div');
    if (id) el.id = id[1];
    if (classes.length) el.className = classes.join(' ');
    if (attrs && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
      children.unshift(attrs);
      attrs = null;
    }
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'class') el.className = [el.className, v].filter(Boolean).join(' ');
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k === 'text') el.textContent = v;
      else if (v === true) el.setAttribute(k, '');
      else el.setAttribute(k, String(v));
    }
    append(el, children);
    return el;
  }
  function append(el, children) {
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }
  function clear(el) { el.replaceChildren(); return el; }
  const $ = (sel, root = document) => root.querySelector(sel);

  /* ---------- money ---------- */

  /* ISO 4217 minor-unit exponents of the currencies refundd knows, from
   * GET /api/v1/config (fcgi/money.c is the one table); filled before a
   * page shows any amount (both pages await configReady first). A code
   * it does not list is assumed to have 2. */
  const EXPONENT = new Map();
  const exponent = (cur) => (EXPONENT.has(cur) ? EXPONENT.get(cur) : 2);

  /* 1234567 CNY -> "12,345.67" (digits only, by string; no float). */
  function formatMinor(minor, currency) {
    let s = typeof minor === 'bigint' ? minor.toString() : String(minor);
    if (!/^-?\d+$/.test(s)) return String(minor);
    const neg = s.startsWith('-');
    if (neg) s = s.slice(1);
    const e = exponent(currency);
    s = s.padStart(e + 1, '0');
    const int = s.slice(0, s.length - e).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    const frac = e ? `.${s.slice(s.length - e)}` : '';
    return `${neg ? '-' : ''}${int}${frac}`;
  }
  function formatMoney(minor, currency) {
    if (minor === null || minor === undefined) return '—';
    return `${formatMinor(minor, currency)} ${currency || ''}`.trim();
  }
  /* minor units -> the plain major-unit text an input shows ("1234.50") */
  function minorToInput(minor, currency) {
    return formatMinor(minor, currency).replace(/,/g, '');
  }

  /* "1,234.5" -> 123450 for CNY. Exact: the text is split into digits, never
   * parsed as a float. Full-width digits and the ideographic full stop are
   * accepted (Chinese input methods). Returns {ok, value} or {ok:false, err}
   * with err one of empty | invalid | too_many_decimals | too_large. */
  function parseMajor(text, currency) {
    let s = String(text ?? '')
      .replace(/[\uFF10-\uFF19]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xFF10 + 48))
      .replace(/[\uFF0E\u3002]/g, '.')
      .replace(/\uFF0C/g, ',')
      .trim();
    if (s === '') return { ok: false, err: 'empty' };
    if (/^\d{1,3}(,\d{3})+(\.\d*)?$/.test(s)) s = s.replace(/,/g, '');
    const m = /^(\d+)(?:\.(\d*))?$/.exec(s);
    if (!m) return { ok: false, err: 'invalid' };
    const e = exponent(currency);
    const frac = m[2] || '';
    if (frac.length > e) return { ok: false, err: 'too_many_decimals' };
    const digits = (m[1] + frac.padEnd(e, '0')).replace(/^0+(?=\d)/, '');
    if (digits.length > 15) return { ok: false, err: 'too_large' };
    const value = Number(digits);  /* an integer of at most 15 digits: exact */
    if (!Number.isSafeInteger(value)) return { ok: false, err: 'too_large' };
    return { ok: true, value };
  }

  /* ---------- time ---------- */

  /* ---------- configuration (GET /api/v1/config) ---------- */

  /* What the pages need of refundd's configuration, served by refundd
   * itself (public, no token): the reseller's time zone (app.timezone),
   * portal (app.portal_url), the providers of conf/refundd.conf's
   * [provider.NAME] sections and the currencies with their decimals.
   * Asked up to three times (a restart, a burst of the rate limit); still
   * unreadable or odd: the documented defaults, no portal link, no
   * providers, 2 decimals. */
  const config = { timezone: 'Asia/Shanghai', portal_url: '', providers: [], currencies: [] };
  function validZone(z) {
    if (typeof z !== 'string' || !z) return false;
    try { new Intl.DateTimeFormat('en', { timeZone: z }); return true; } catch { return false; }
  }
  async function fetchConfig() {
    for (let attempt = 0; attempt < 3; attempt++) {
      if (attempt) await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
      try {
        const r = await fetch('/api/v1/config', { cache: 'no-store', credentials: 'omit' });
        if (r.ok) return await r.json();
      } catch { /* the network: asked again */ }
    }
    return {};
  }
  function takeConfig(c) {
    if (validZone(c.timezone)) config.timezone = c.timezone;
    if (typeof c.portal_url === 'string' && /^https?:\/\/[^\s"'<>\\`]+$/.test(c.portal_url))
      config.portal_url = c.portal_url;
    if (Array.isArray(c.providers))
      config.providers = c.providers.filter((p) => typeof p === 'string' && /^[a-z0-9_]{1,31}$/.test(p));
    for (const cur of Array.isArray(c.currencies) ? c.currencies : []) {
      if (!cur || !/^[A-Z]{3}$/.test(cur.code) || ![0, 1, 2, 3, 4].includes(cur.exponent)) continue;
      EXPONENT.set(cur.code, cur.exponent);
      config.currencies.push(cur.code);
    }
    return config;
  }
  const configReady = fetchConfig().then((c) => takeConfig(c && typeof c === 'object' ? c : {}));

  /* ---------- time ---------- */

  /* "2026-11-15 22:32 UTC+8" in the reseller's time zone (app.timezone),
   * same shape in both languages, whatever the browser's own zone: due
   * dates and arrivals are promises made in the reseller's calendar. The
   * exact RFC 3339 instant is in the <time> element. */
  function formatTime(iso) {
    if (!iso) return '—';
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return String(iso);
    const parts = {};
    for (const p of new Intl.DateTimeFormat('en-GB', {
      year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
      hourCycle: 'h23', timeZone: config.timezone, timeZoneName: 'shortOffset',
    }).formatToParts(d)) parts[p.type] = p.value;
    const zone = (parts.timeZoneName || '').replace(/^GMT/, 'UTC');
    return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute} ${zone}`.trim();
  }
  /* Days in the reseller's time zone. A picked date ("2026-11-20") means
   * that day in app.timezone, not in UTC nor in the browser's zone: it
   * starts at the UTC instant of its local midnight, found from the zone's
   * offset (Intl, no library). Around a DST change at midnight the day
   * starts at the first instant whose local date is that day. */
  function zoneParts(ms, zone) {
    const parts = {};
    for (const p of new Intl.DateTimeFormat('en-US', {
      year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
      hourCycle: 'h23', timeZone: zone || config.timezone,
    }).formatToParts(new Date(ms))) parts[p.type] = p.value;
    return parts;
  }
  /* the zone's offset at an instant, in ms (local wall time minus UTC) */
  function zoneOffset(ms, zone) {
    const p = zoneParts(ms, zone);
    const wall = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour % 24, +p.minute, +p.second);
    return wall - Math.floor(ms / 1000) * 1000;
  }
  /* an instant -> "YYYY-MM-DD", its date in the zone */
  function zoneDate(ms, zone) {
    const p = zoneParts(ms, zone);
    return `${p.year}-${p.month}-${p.day}`;
  }
  /* "YYYY-MM-DD" -> ms of the UTC instant that day starts in the zone (NaN when malformed) */
  function dayStartMs(date, zone) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(date || ''));
    if (!m) return NaN;
    const naive = Date.UTC(+m[1], +m[2] - 1, +m[3]);
    const t1 = naive - zoneOffset(naive, zone);
    const t2 = naive - zoneOffset(t1, zone);
    const ok = [t1, t2].filter((x) => zoneDate(x, zone) === date);
    return ok.length ? Math.min(...ok) : t2;
  }
  const rfc3339 = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  /* "YYYY-MM-DD" +/- n calendar days */
  function addDays(date, n) {
    const [y, mo, d] = String(date).split('-').map(Number);
    return new Date(Date.UTC(y, mo - 1, d + n)).toISOString().slice(0, 10);
  }
  /* The half-open range [from's local midnight, the local midnight after
   * to) as RFC 3339 instants; a missing day is left out. */
  function dayRange(from, to, zone) {
    const out = {};
    if (from) out.from = rfc3339(dayStartMs(from, zone));
    if (to) out.to = rfc3339(dayStartMs(addDays(to, 1), zone));
    return out;
  }
  /* today in the zone, or n days before */
  function zoneToday(daysBack = 0) { return addDays(zoneDate(Date.now()), -daysBack); }
  /* A half-open range of instants as the days it covers: "2026-09-05 – 2026-12-03" */
  function formatDays(fromIso, toIso) {
    const f = Date.parse(fromIso), e = Date.parse(toIso);
    return {
      from: Number.isNaN(f) ? formatTime(fromIso) : zoneDate(f),
      to: Number.isNaN(e) ? formatTime(toIso) : zoneDate(e - 1000),
    };
  }

  function timeEl(iso) {
    return h('time', { datetime: iso || undefined, title: iso || undefined }, formatTime(iso));
  }

  /* ---------- token ---------- */

  /* The portal's hand-off: it links to the page with #token=<JWT> (a
   * fragment never reaches a server log). Taken as soon as this script
   * runs and removed from the address bar and from this history entry
   * (replaceState: no new entry, and Back never shows it again); the page
   * then keeps it in sessionStorage only. */
  function fragmentToken() {
    const m = /(?:^#|&)token=([^&]*)/.exec(location.hash);
    if (!m) return '';
    let tok = '';
    try { tok = decodeURIComponent(m[1]).trim(); } catch { tok = ''; }
    const rest = location.hash.slice(1).split('&').filter((p) => p && !p.startsWith('token=')).join('&');
    history.replaceState(history.state, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`);
    return tok;
  }
  let handoff = fragmentToken();
  /* The hand-off token, once. */
  function takeHandoff() {
    const tok = handoff;
    handoff = '';
    return tok;
  }
  /* A hand-off into a page already open (only the fragment changed, so
   * the page was not loaded again). */
  function onHandoff(fn) {
    window.addEventListener('hashchange', () => {
      const tok = fragmentToken();
      if (tok) fn(tok);
    });
  }

  /* The "signed out" message: back to the portal when one is configured,
   * else (local runs) paste a new token. */
  function signedOutNodes() {
    if (!config.portal_url) return [h('span', t('token.expired'))];
    return [h('span', t('token.expired.portal')), ' ',
      h('a.portal-link', { href: config.portal_url }, t('portal.back'))];
  }
  /* The sign-in card's link to the portal, when one is configured. */
  function bindPortalLink(el) {
    configReady.then(() => {
      if (!config.portal_url) return;
      const a = el.querySelector('a');
      a.href = config.portal_url;
      el.hidden = false;
    });
  }

  function tokenStore(key) {
    return {
      get() { try { return sessionStorage.getItem(key) || ''; } catch { return ''; } },
      set(v) { try { sessionStorage.setItem(key, v); } catch { /* ignore */ } },
      clear() { try { sessionStorage.removeItem(key); } catch { /* ignore */ } },
    };
  }

  /* ---------- API ---------- */

  class ApiError extends Error {
    constructor(problem) {
      super(problem.detail || problem.title || `HTTP ${problem.status}`);
      this.problem = problem;
      this.status = problem.status;
      this.code = problem.code;
    }
  }

  let currentToken = '';
  let unauthorized = () => {};
  function setToken(v) { currentToken = v || ''; }
  function onUnauthorized(fn) { unauthorized = fn; }

  /* api(method, path, {body, idempotencyKey, accept, raw, contentType,
   * blob}) -> parsed JSON (or text for non-JSON answers; a Blob with
   * blob: true); throws ApiError carrying the problem. raw: a File or
   * Blob sent as the body with contentType. */
  async function api(method, path, opts = {}) {
    const headers = { Accept: opts.accept || 'application/json, application/problem+json' };
    if (currentToken) headers.Authorization = `Bearer ${currentToken}`;
    let body;
    if (opts.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(opts.body);
    } else if (opts.raw !== undefined) {
      /* a file as it is (evidence uploads), with its declared type */
      headers['Content-Type'] = opts.contentType;
      body = opts.raw;
    }
    if (opts.idempotencyKey) headers['Idempotency-Key'] = opts.idempotencyKey;
    let res;
    try {
      res = await fetch(path, { method, headers, body, cache: 'no-store', credentials: 'omit' });
    } catch (e) {
      throw new ApiError({ status: 0, code: 'network_error', title: t('err.network'), detail: '' });
    }
    if (opts.blob && res.ok) return res.blob();
    const text = await res.text();
    const ctype = res.headers.get('content-type') || '';
    let data = null;
    if (/json/.test(ctype) || /^\s*[{[]/.test(text)) {
      try { data = text ? JSON.parse(text) : null; } catch { data = null; }
    } else {
      data = text;
    }
    if (!res.ok) {
      const p = data && typeof data === 'object' ? data : {};
      const problem = {
        ...p,
        status: p.status || res.status,
        code: p.code || `http_${res.status}`,
        title: p.title || res.statusText || t('err.generic', { status: res.status }),
        detail: p.detail || '',
        request_id: p.request_id || res.headers.get('x-request-id') || '',
      };
      const err = new ApiError(problem);
      if (res.status === 401) unauthorized(err);
      throw err;
    }
    return data;
  }

  /* The problem's own members (RFC 9457 extension members such as a
   * statement's {line} and {column}) as the values of its text's
   * placeholders; only plain values, never an object's "[object Object]". */
  function problemValues(p) {
    const out = {};
    for (const [k, v] of Object.entries(p))
      if (typeof v === 'string' || typeof v === 'number') out[k] = v;
    return out;
  }

  /* A problem as readable text: the localized meaning of the code when we
   * know one, the server's title and detail, the code and request id. */
  function problemNode(err) {
    const p = err && err.problem ? err.problem : { title: String(err && err.message || err), code: '' };
    let headline = p.title;
    /* a translated code says it all: the server's English detail would
     * mix languages (and is generic for many refusals) */
    const known = !!(p.code && has(`code.${p.code}`));
    if (known) headline = t(`code.${p.code}`, problemValues(p));
    else if (p.status === 0) headline = t('err.network');
    else if (p.status === 403) headline = t('err.forbidden');
    else if (p.status === 429) headline = t('err.rate');
    else if (p.status === 503) headline = t('err.unavailable');
    const meta = [];
    if (known && typeof p.field === 'string' && p.field) meta.push(`${t('err.field')}: ${p.field}`);
    if (p.code) meta.push(`${t('err.code')}: ${p.code}`);
    if (p.request_id) meta.push(`${t('err.request_id')}: ${p.request_id}`);
    const reasons = Array.isArray(p.reasons) ? p.reasons : [];
    return h('div.problem', { dataset: { code: p.code || '', status: String(p.status ?? '') } },
      h('strong.problem-title', headline),
      !known && p.detail && p.detail !== headline ? h('span.problem-detail', ` — ${p.detail}`) : null,
      reasons.length ? h('ul.reasons', reasons.map((r) =>
        h('li', { dataset: { reason: typeof r === 'string' ? r : r.code } },
          tc('reason', typeof r === 'string' ? r : r.code)))) : null,
      meta.length ? h('small.problem-meta', meta.join(' · ')) : null);
  }

  /* A live region that shows one problem (errors: role=alert) or one
   * notice (role=status). Text may be given as a function, so that a
   * language switch shows the same message in the other language. */
  function messenger(el) {
    let last = null;
    const show = (kind, nodes) => {
      clear(el);
      el.className = `msg msg-${kind}`;
      append(el, nodes);
      el.hidden = false;
    };
    const m = {
      error(err) { last = () => m.error(err); show('error', [problemNode(err)]); },
      text(s, kind = 'info') {
        last = () => m.text(s, kind);
        show(kind, [h('span', typeof s === 'function' ? s() : s)]);
      },
      nodes(kind, make) { last = () => m.nodes(kind, make); show(kind, [make()]); },
      clear() { last = null; clear(el); el.hidden = true; },
      /* keyboard focus to the message (after an error with no field of its own) */
      focus() {
        if (el.hidden) return;
        if (!el.hasAttribute('tabindex')) el.setAttribute('tabindex', '-1');
        el.focus();
      },
    };
    listeners.push(() => { if (last && !el.hidden) last(); });
    return m;
  }

  /* Runs fn with the button disabled and aria-busy set. Disabling the
   * focused button drops focus to <body>; when nothing else took it
   * meanwhile (an error handler focusing its field), it goes back to the
   * button. */
  async function busy(button, fn) {
    const had = !!button && document.activeElement === button;
    if (button) { button.disabled = true; button.setAttribute('aria-busy', 'true'); }
    try { return await fn(); } finally {
      if (button) {
        button.disabled = false;
        button.removeAttribute('aria-busy');
        const lost = !document.activeElement || document.activeElement === document.body;
        if (had && lost && button.isConnected) button.focus();
      }
    }
  }

  /* Runs fn (a re-render of root, say on a language switch) keeping what
   * the user typed or chose in root's form controls, matched by id, and
   * which of them had focus. */
  function keepValues(root, fn) {
    const kept = root ? [...root.querySelectorAll('input[id], select[id], textarea[id]')]
      .filter((el) => el.type !== 'file')
      .map((el) => [el.id, el.type === 'checkbox' || el.type === 'radio' ? el.checked : el.value,
        el.getAttribute('aria-invalid')]) : [];
    const active = document.activeElement && root && root.contains(document.activeElement) ? document.activeElement.id : '';
    const r = fn();
    for (const [id, v, inv] of kept) {
      const el = document.getElementById(id);
      if (!el || !root.contains(el)) continue;
      if (el.type === 'checkbox' || el.type === 'radio') el.checked = v;
      else if (el.value !== v) { el.value = v; el.dispatchEvent(new Event('input')); }
      if (inv === 'true') el.setAttribute('aria-invalid', 'true');
    }
    if (active) { const el = document.getElementById(active); if (el) el.focus({ preventScroll: true }); }
    return r;
  }

  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    const x = [...b].map((v) => v.toString(16).padStart(2, '0')).join('');
    return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
  }

  /* The Idempotency-Key of a create the user may send again after it
   * failed (a network error, a 502 or 504 whose request may have been
   * applied): the same request (a string naming the route and what it
   * creates) keeps its key until retryKeyDone, so sending it again cannot
   * create it twice; the server then answers the first answer. */
  const retryKeys = new Map();
  function retryKey(request) {
    if (!retryKeys.has(request)) retryKeys.set(request, uuid());
    return retryKeys.get(request);
  }
  function retryKeyDone(request) { retryKeys.delete(request); }

  /* The refund timeline of GET /api/v1/refunds/{id}, whatever its exact
   * field names: time, what happened, who, and the status change. */
  function timelineList(events) {
    if (!Array.isArray(events) || events.length === 0) return h('p.muted', t('none'));
    return h('ol.timeline', events.map((e) => {
      const action = e.action || e.event || e.kind || e.type || '';
      const label = has(`action.${action}`) ? t(`action.${action}`)
        : has(`action.refund.${action}`) ? t(`action.refund.${action}`) : action;
      const from = e.from_status || e.from || (e.before && e.before.status);
      const to = e.to_status || e.to || e.status || (e.after && e.after.status);
      const who = e.actor || e.by || e.author || '';
      const role = e.actor_role || e.role || '';
      const note = e.note || e.message || e.body || '';
      return h('li', { dataset: { action } },
        timeEl(e.at || e.time || e.created_at),
        ' ',
        h('strong', label),
        to ? h('span.transition', ' ', from ? `${tc('status', from)} → ` : '→ ', tc('status', to)) : null,
        who ? h('span.muted', ` · ${who}${role ? ` (${tc('role', role)})` : ''}`) : null,
        note && typeof note === 'string' ? h('div.note', note) : null);
    }));
  }

  function messageList(msgs) {
    if (!Array.isArray(msgs) || msgs.length === 0) return h('p.muted', t('none'));
    return h('ul.messages', msgs.map((m) => h(`li.msg-${m.author_role === 'customer' ? 'customer' : 'staff'}`,
      h('div.msg-head', h('strong', m.author || ''), m.author_role ? ` (${tc('role', m.author_role)})` : '',
        ' · ', timeEl(m.created_at || m.at)),
      h('div.msg-body', m.body || ''))));
  }

  /* ---------- evidence (attachments of a refund request) ---------- */

  const ATTACH_TYPES = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', pdf: 'application/pdf' };
  const ATTACH_MAX_BYTES = 5 * 1024 * 1024;
  const ATTACH_MAX_COUNT = 5;

  /* The type a file would be sent as: what the browser says, else its
   * extension; '' when it is none of PNG, JPEG, PDF. */
  function attachmentType(file) {
    if (Object.values(ATTACH_TYPES).includes(file.type)) return file.type;
    const ext = (file.name.match(/\.([A-Za-z]+)$/) || [])[1];
    return (!file.type && ext && ATTACH_TYPES[ext.toLowerCase()]) || '';
  }

  /* The name a download is saved under: its own when it ends in an
   * extension of its checked type, else with that type's added (as the
   * server's Content-Disposition does, attach_download_name in
   * fcgi/attachment_rules.c): "x.html" holding a PNG must not be saved as
   * a page that opens outside the download's sandbox. */
  const SAVE_EXTENSIONS = { 'image/png': ['.png'], 'image/jpeg': ['.jpg', '.jpeg', '.jpe', '.jfif'],
    'application/pdf': ['.pdf'] };
  function savedName(a) {
    const exts = SAVE_EXTENSIONS[a.content_type] || [];
    const lower = String(a.name).toLowerCase();
    if (exts.some((e) => lower.length > e.length && lower.endsWith(e))) return a.name;
    return exts.length ? `${a.name}${exts[0]}` : `${a.name}.bin`;
  }

  function formatSize(bytes) {
    if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
    if (bytes >= 1024) return `${Math.ceil(bytes / 1024)} KB`;
    return `${bytes} B`;
  }

  /* Fetches the file with the bearer token (a plain link would carry
   * none) and saves it under its name; the server sends it as a download
   * with a sandbox CSP, so it never runs as a page of ours. */
  async function downloadAttachment(refundId, a) {
    const blob = await api('GET', `/api/v1/refunds/${encodeURIComponent(refundId)}/attachments/${encodeURIComponent(a.id)}`,
      { blob: true, accept: `${a.content_type}, application/problem+json` });
    const url = URL.createObjectURL(blob);
    const link = h('a', { href: url, download: savedName(a), hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 30000);
  }

  /* The request's files (metadata) with a download button each; errors
   * go to the given messenger. */
  function attachmentList(refundId, list, alertBox) {
    if (!Array.isArray(list) || list.length === 0) return h('p.muted.attachments-none', t('att.none'));
    return h('ul.attachments', list.map((a) => h('li', { dataset: { attachment: String(a.id) } },
      h('span.att-name', a.name),
      h('span.muted', ` · ${tc('atype', a.content_type)} · ${formatSize(a.size)} · `), timeEl(a.created_at),
      ' ',
      h('button.secondary.small', {
        type: 'button', dataset: { action: 'download' },
        'aria-label': t('att.download.label', { name: a.name }),
        onclick: (ev) => busy(ev.currentTarget, () => downloadAttachment(refundId, a).catch((e) => {
          if (e.status !== 401 && alertBox) alertBox.error(e);
        })),
      }, t('att.download')))));
  }

  add({
    'att.title': ['证明材料', 'Evidence'],
    'att.none': ['暂无附件。', 'No files attached.'],
    'att.download': ['下载', 'Download'],
    'att.download.label': ['下载 {name}', 'Download {name}'],
    'atype.image/png': ['PNG 图片', 'PNG image'],
    'atype.image/jpeg': ['JPEG 图片', 'JPEG image'],
    'atype.application/pdf': ['PDF 文档', 'PDF document'],
    'action.refund.attachment_add': ['上传证明材料', 'Evidence attached'],
    'code.unsupported_attachment': ['只能上传 PNG、JPEG 或 PDF 文件，且文件内容须与类型一致',
      'Only PNG, JPEG or PDF files are accepted, and the content must match the type'],
    'code.too_many_attachments': ['每个退款申请最多上传 5 个文件', 'A refund request takes at most 5 files'],
    'code.refund_not_open': ['该申请已结束，不能再上传文件', 'This request is closed; files can no longer be added'],
    'code.invalid_attachment_name': ['文件名无效', 'The file name is not valid'],
    'code.payload_too_large': ['提交的内容太大（每个文件不超过 5 MB）', 'Too large (a file may have at most 5 MB)'],
    'code.body_too_large': ['提交的内容太大（每个文件不超过 5 MB）', 'Too large (a file may have at most 5 MB)'],
    'code.attachment_not_found': ['附件不存在', 'File not found'],
  });

  /* Every other code of the ProblemCode table in docs/openapi.yaml, so a
   * problem always reads in the page's language (tests/browser checks the
   * table against these strings). */
  add({
    'code.bad_request': ['请求无效', 'Bad request'],
    'code.invalid_json': ['提交的内容不是有效的 JSON', 'The body is not valid JSON'],
    'code.invalid_utf8': ['提交的内容不是有效的 UTF-8 文本', 'The body is not valid UTF-8'],
    'code.invalid_limit': ['每页条数无效（1–100）', 'The page size is not valid (1–100)'],
    'code.invalid_cursor': ['翻页位置无效，请刷新列表', 'The page position is not valid; refresh the list'],
    'code.invalid_filter': ['筛选条件无效', 'A filter has a value that is not valid'],
    'code.unknown_parameter': ['不支持的查询参数', 'A query parameter this request does not take'],
    'code.repeated_parameter': ['查询参数重复', 'A query parameter given more than once'],
    'code.invalid_account': ['账户格式无效', 'The account is not valid'],
    'code.invalid_version': ['版本号无效', 'The version is not valid'],
    'code.invalid_year': ['年份无效', 'The year is not valid'],
    'code.invalid_idempotency_key': ['幂等键无效', 'The Idempotency-Key is not valid'],
    'code.repeated_header': ['请求头 Idempotency-Key 只能发送一次', 'Send the Idempotency-Key header only once'],
    'code.forbidden': ['您的角色无权执行此操作', 'Your role may not do this'],
    'code.not_found': ['未找到该记录', 'Not found'],
    'code.not_owner': ['未找到该记录', 'Not found'],
    'code.payout_not_found': ['打款记录不存在', 'Payout not found'],
    'code.policy_not_found': ['退款政策不存在', 'Policy not found'],
    'code.delivery_not_found': ['通知投递记录不存在', 'Webhook delivery not found'],
    'code.method_not_allowed': ['不支持此操作', 'This operation is not supported'],
    'code.not_acceptable': ['无法提供所请求的格式', 'The requested format cannot be produced'],
    'code.conflict': ['与当前状态冲突，请刷新后重试', 'Conflicts with the current state; refresh and try again'],
    'code.not_auto_approvable': ['该申请不符合自动批准条件', 'This request does not qualify for automatic approval'],
    'code.order_not_paid': ['账单系统中该订单已取消或未支付，不能批准或打款', 'Billing has this order cancelled or unpaid: it cannot be approved or paid'],
    'code.refunds_exceed_amount_paid': ['修改后实付金额将少于已退款金额', 'The change would leave less paid than already refunded'],
    'code.payout_exists': ['该退款已有进行中的打款', 'This refund already has a payout in progress'],
    'code.method_switch_needs_failed_payout': ['只有打款失败后才能更换退款方式', 'The refund route can change only after a failed payout'],
    'code.payout_final': ['该笔打款已到账或已失败，不能再更改', 'This payout has already settled or failed'],
    'code.audit_chain_empty': ['尚无可签名的审计记录', 'No audit event to sign yet'],
    'code.checkpoints_disabled': ['未配置审计签名密钥', 'No audit signing key is configured'],
    'code.delivery_in_flight': ['该通知正在发送，请稍后再试', 'This delivery is being sent; try again in a moment'],
    'code.unsupported_media_type': ['提交的内容类型不受支持', 'The content type is not supported'],
    'code.rate_limited': ['请求过于频繁，请稍后再试', 'Too many requests; try again in a moment'],
    'code.unknown_field': ['提交了不支持的字段', 'A field is not accepted here'],
    'code.missing_field': ['缺少必填字段', 'A required field is missing'],
    'code.wrong_type': ['字段类型错误', 'A field has the wrong type'],
    'code.too_long': ['内容太长', 'A text is too long'],
    'code.out_of_range': ['数值超出允许范围', 'A number is out of range'],
    'code.invalid_value': ['取值无效', 'A value is not allowed'],
    'code.no_policy': ['该类产品没有退款政策', 'There is no refund policy for this product type'],
    'code.invalid_order_id': ['订单号格式无效', 'The order id is not valid'],
    'code.unknown_currency': ['不支持的币种', 'Unknown currency'],
    'code.unknown_product_type': ['未知的产品类型', 'Unknown product type'],
    'code.invalid_period': ['服务期的开始和结束须同时填写', 'The period start and end go together'],
    'code.missing_paid_at': ['已支付的订单须有支付时间', 'A paid order needs its payment time'],
    'code.service_status_required': ['该订单缺少服务状态，无法按政策计算退款', 'The order has no service status, which its refund policy needs'],
    'code.invalid_order': ['订单信息前后矛盾', 'The order details are inconsistent'],
    'code.too_many_items': ['条目过多（最多 100 条）', 'Too many items (at most 100)'],
    'code.invalid_items': ['订单条目有误（如条目号重复）', 'The items are not valid (e.g. a repeated item number)'],
    'code.used_exceeds_quantity': ['已用量超过购买和赠送的总量', 'More units used than bought and given'],
    'code.constraint_violated': ['数据不符合业务规则', 'The data breaks a business rule'],
    'code.invalid_product_type': ['产品类型格式无效', 'The product type is not valid'],
    'code.invalid_payout_methods': ['退款方式至少选择一项', 'Choose at least one refund route'],
    'code.invalid_policy': ['政策设置前后矛盾', 'The policy settings are inconsistent'],
    'code.too_many_days': ['一年最多 400 天', 'At most 400 days in a year'],
    'code.invalid_day': ['日期不是该年的有效日期', 'A day is not a date of that year'],
    'code.duplicate_day': ['日期重复', 'A day is listed twice'],
    'code.invalid_provider': ['服务商无效', 'The provider is not valid'],
    'code.invalid_currency': ['币种无效', 'The currency is not valid'],
    'code.provider_policy_not_found': ['服务商政策不存在', 'Provider policy not found'],
    'code.claim_not_found': ['服务商索赔不存在', 'Provider claim not found'],
    'code.claim_not_to_file': ['该索赔不在待提交状态', 'This claim is not waiting to be filed'],
    'code.claim_ref_taken': ['该服务商已有使用此索赔编号的索赔', 'Another claim at this provider has this claim reference'],
    'code.invalid_upstream': ['上游采购信息不完整或代金券金额超过成本', 'The upstream purchase is incomplete, or the voucher part exceeds the cost'],
    'code.statement_not_utf8': ['对账单不是 UTF-8 文本', 'The statement is not UTF-8 text'],
    'code.statement_not_text': ['对账单不是 CSV 文本（是二进制文件）', 'The statement is a binary file, not CSV text'],
    /* {line}, {column}: members of the problem (problemNode passes them) */
    'code.statement_syntax': ['对账单 CSV 格式有误（第 {line} 行附近）', 'The statement CSV is broken (near line {line})'],
    'code.statement_empty': ['对账单没有表头', 'The statement has no header row'],
    'code.statement_missing_column': ['对账单缺少必需的列“{column}”', 'The statement lacks the required column "{column}"'],
    'code.statement_too_many_lines': ['对账单行数过多（最多 20000 行）', 'The statement has too many lines (at most 20000)'],
    'code.invalid_range': ['日期范围无效：起始须早于截止，且范围不能过长', 'The date range is not valid: from must be before to, and the range not too long'],
    'code.internal': ['服务器内部错误，请稍后重试', 'Internal server error; try again shortly'],
    'code.invalid_argument': ['服务器内部错误，请稍后重试', 'Internal server error; try again shortly'],
    'code.db_unavailable': ['数据库暂时不可用，请稍后重试', 'The database is not answering; try again shortly'],
    'code.db_timeout': ['数据库响应超时，请稍后重试', 'The database is too slow; try again shortly'],
    'code.db_busy': ['同时有其他操作，请稍后重试', 'Another change got in the way; try again'],
    'code.upstream_unavailable': ['服务暂时不可用，请稍后重试', 'The service is temporarily unavailable; try again shortly'],
    'code.upstream_timeout': ['服务响应超时，操作可能已生效，请刷新后查看', 'The service did not answer in time; the action may have been applied, refresh to check'],
    'code.uri_too_long': ['请求地址过长', 'The address of the request is too long'],
    'code.not_implemented': ['服务器不支持该请求的传输方式', 'The server does not support how the request was sent'],
    'code.http_version_not_supported': ['服务器不支持该 HTTP 版本', 'The server does not speak this HTTP version'],
    'err.field': ['字段', 'field'],

    /* Why a line of a provider statement was not applied (the `reason` of
     * the import's `invalid` items: fcgi/statement.c's line codes and
     * handlers_claims.c's currency_mismatch). */
    'stmt.reason.missing_ref': ['缺少单号', 'no reference'],
    'stmt.reason.bad_ref': ['单号无效', 'the reference is not valid'],
    'stmt.reason.bad_amount': ['金额无效', 'the amount is not valid'],
    'stmt.reason.bad_fee': ['手续费无效', 'the fee is not valid'],
    'stmt.reason.bad_date': ['日期无效', 'the date is not valid'],
    'stmt.reason.field_too_long': ['字段过长', 'a field is too long'],
    'stmt.reason.currency_mismatch': ['追偿单的币种与导入所选币种不同', "the claim's currency is not the one the statement was imported in"],
    'stmt.reason.invalid': ['无效行', 'not valid'],
  });

  function statusBadge(status) {
    return h(`span.badge.status-${status}`, { dataset: { status } }, tc('status', status));
  }

  /* The quote's breakdown as a table: label, units where meaningful, amount. */
  function breakdownTable(quote) {
    const lines = Array.isArray(quote.breakdown) ? quote.breakdown : [];
    if (!lines.length) return null;
    const units = (l) => {
      if (!l.units) return '';
      if (l.label === 'consumed_time') {
        const days = Math.floor(l.units / 8640) / 10;  /* seconds -> days, one decimal, down */
        return t('units.days', { n: days.toFixed(1) });
      }
      return t('units.count', { n: String(l.units).replace(/\B(?=(\d{3})+(?!\d))/g, ',') });
    };
    return h('table.breakdown',
      h('caption.visually-hidden', t('quote.breakdown')),
      h('tbody', lines.map((l) => h('tr', { dataset: { label: l.label } },
        h('th', { scope: 'row' }, tc('line', l.label)),
        h('td.units', units(l)),
        h('td.num', formatMoney(l.amount, quote.currency))))),
      h('tfoot', h('tr', h('th', { scope: 'row' }, t('quote.total')), h('td'),
        h('td.num', formatMoney(quote.amount, quote.currency)))));
  }

  function reasonList(reasons) {
    if (!Array.isArray(reasons) || !reasons.length) return null;
    return h('ul.reasons', reasons.map((r) => h('li', { dataset: { reason: r } }, tc('reason', r))));
  }

  function remedyText(remedy) {
    if (!remedy) return '';
    return remedy[lang] || remedy['zh-CN'] || remedy.en || '';
  }

  add({
    'quote.breakdown': ['金额明细', 'Breakdown'],
    'quote.total': ['可退金额', 'Refundable'],
  });

  document.documentElement.lang = lang;

  return {
    add, t, tc, has, setLang, getLang, onLang, applyStatic, bindLangToggle,
    h, append, clear, $,
    formatMinor, formatMoney, minorToInput, parseMajor, exponent,
    formatTime, timeEl, config, configReady, zoneDate, dayStartMs, dayRange, addDays, zoneToday, formatDays,
    keepValues,
    takeHandoff, onHandoff, signedOutNodes, bindPortalLink, tokenStore, api, setToken, onUnauthorized, ApiError, problemNode, messenger, busy, uuid,
    retryKey, retryKeyDone,
    timelineList, messageList, statusBadge, breakdownTable, reasonList, remedyText,
    attachmentType, attachmentList, downloadAttachment, formatSize,
    ATTACH_MAX_BYTES, ATTACH_MAX_COUNT,
  };
})();
