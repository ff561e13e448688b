/* Collaboration Advisor chat widget. Embed with one tag:
 *   <script src="https://HOST/widget.js" data-title="…" data-lang="fr" data-accent="#7a1f3d" async></script>
 * Everything lives in a Shadow DOM; answer text is only ever inserted as text nodes, never as HTML. */
(function () {
  "use strict";
  if (window.__collabAdvisorWidget) return;
  window.__collabAdvisorWidget = true;

  var script = document.currentScript || (function () {
    var all = document.querySelectorAll('script[src*="widget.js"]');
    return all[all.length - 1];
  })();
  if (!script) return;
  var API = new URL(script.src, location.href).origin;
  var data = script.dataset || {};

  // filled in by the server from advisor/strings.py (WIDGET, EXAMPLES)
  var STRINGS = /*STRINGS*/null;
  // the server's longest question (ADVISOR_MAX_QUESTION_CHARS)
  var LIMIT = /*LIMIT*/1000;

  function pickLanguage() {
    var wanted = [data.lang].concat(navigator.languages || [navigator.language]);
    for (var i = 0; i < wanted.length; i++) {
      var code = String(wanted[i] || "").slice(0, 2).toLowerCase();
      if (STRINGS[code]) return code;
    }
    return "en";
  }
  var lang = pickLanguage();
  var T = STRINGS[lang];

  var STYLE = [
    ":host{all:initial;font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:#1d1d1f;--a:#7a1f3d}",
    "*{box-sizing:border-box}",
    "button,textarea{font:inherit;color:inherit}",
    ".launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;display:flex;align-items:center;gap:8px;border:0;",
    "border-radius:28px;padding:12px 20px;background:var(--a);color:#fff;font-weight:600;box-shadow:0 4px 16px rgba(0,0,0,.28);cursor:pointer}",
    ".launcher:hover{filter:brightness(1.1)}",
    ".panel{position:fixed;right:20px;bottom:20px;z-index:2147483001;width:min(420px,calc(100vw - 24px));",
    "height:min(640px,calc(100vh - 40px));display:flex;flex-direction:column;background:#fff;border-radius:14px;",
    "box-shadow:0 12px 40px rgba(0,0,0,.32);overflow:hidden}",
    "[hidden]{display:none!important}",
    "header{background:var(--a);color:#fff;padding:6px 6px 6px 16px;display:flex;align-items:center;gap:8px}",
    "h2{font-size:16px;margin:0;flex:1;font-weight:650}",
    ".close{background:transparent;border:0;color:#fff;font-size:26px;line-height:1;width:44px;height:44px;border-radius:8px;cursor:pointer}",
    ".close:hover{background:rgba(255,255,255,.15)}",
    ".log{flex:1;overflow-y:auto;padding:14px;position:relative;background:#f5f5f7}",
    ".msg{margin:0 0 12px}",
    ".user{margin-left:auto;background:var(--a);color:#fff;padding:8px 12px;border-radius:14px 14px 4px 14px;",
    "width:fit-content;max-width:85%;white-space:pre-wrap;overflow-wrap:anywhere}",
    ".bot{background:#fff;border:1px solid #e1e1e6;border-radius:14px 14px 14px 4px;padding:10px 12px;overflow-wrap:anywhere}",
    ".bot p{margin:0 0 6px}",
    "figure{margin:8px 0 10px}",
    "blockquote{margin:0 0 4px;padding:6px 10px;border-left:4px solid var(--a);background:#f8f5f6;white-space:pre-wrap}",
    "blockquote p{margin:0}",
    "mark{background:#fff0b0;color:inherit;padding:0 1px;box-shadow:inset 0 -2px 0 #efc300}",
    "figcaption{font-size:13px;color:#4a4a52}",
    "cite{font-style:normal;font-weight:600}",
    ".badge{display:inline-block;font-size:11.5px;line-height:1.5;padding:0 7px;margin:2px 4px 0 0;border-radius:10px;",
    "background:#e7f3ea;color:#1d5a2b;border:1px solid #b7dbbf}",
    ".badge.summary{background:#fff3dc;color:#6e4400;border-color:#efd093}",
    "a{color:var(--a);font-weight:600}",
    ".tr{border:1px dashed #b9b9c2;border-radius:8px;padding:6px 10px;margin:6px 0 0;font-size:14px;background:#fcfcfd}",
    ".tr .label{font-size:12px;font-weight:700;color:#4a4a52;margin:0 0 2px}",
    ".tr .tn{font-size:12px;font-style:italic;color:#4a4a52;margin:4px 0 0}",
    ".foot{font-size:13px;color:#4a4a52;margin:8px 0 0!important}",
    ".nc{border-left:4px solid #b26b00;padding-left:8px}",
    ".nc .label{font-size:12px;font-weight:700;color:#8a5300;margin:0 0 4px}",
    ".fb{display:flex;align-items:center;flex-wrap:wrap;gap:6px;margin-top:8px;font-size:13px;color:#4a4a52}",
    ".fb button{display:inline-grid;place-items:center;border:1px solid #c8c8d0;background:#fff;color:#4a4a52;border-radius:8px;min-width:44px;min-height:36px;cursor:pointer}",
    ".fb button:hover{color:var(--a);border-color:var(--a)}",
    ".fb button[aria-pressed=true]{background:var(--a);border-color:var(--a);color:#fff}",
    ".fb button[aria-disabled=true]{cursor:default}",
    ".fb button[aria-disabled=true]:not([aria-pressed=true]){opacity:.45}",
    ".fb.pending button[aria-pressed=true]{background:transparent;color:var(--a);border:2px dashed var(--a)}",
    ".comment{display:flex;gap:6px;align-items:flex-start;margin-top:6px}.comment textarea{height:auto;font-size:14px}",
    ".wait{display:flex;align-items:center;gap:8px;color:#4a4a52}",
    ".dots{display:inline-flex;gap:4px}.dots i{width:7px;height:7px;border-radius:50%;background:var(--a);animation:b 1.2s infinite ease-in-out}",
    ".dots i:nth-child(2){animation-delay:.15s}.dots i:nth-child(3){animation-delay:.3s}",
    "@keyframes b{0%,80%,100%{opacity:.25;transform:translateY(0)}40%{opacity:1;transform:translateY(-4px)}}",
    "@media (prefers-reduced-motion:reduce){.dots i{animation:none;opacity:.6}}",
    ".ctx{font-size:13px;color:#4a4a52;font-style:italic}",
    ".tools{display:flex;gap:6px;flex-wrap:wrap;margin-top:8px}",
    ".tool{border:1px solid #c8c8d0;background:#fff;color:#1d1d1f;border-radius:8px;padding:0 12px;min-height:36px;font-size:13px;cursor:pointer}",
    ".tool:hover{border-color:var(--a);color:var(--a)}",
    ".src{margin-right:12px}",
    ".count{font-size:12px;color:#4a4a52;padding:0 12px 6px;text-align:right;background:#fff}",
    ".count.over,.alert{color:#b00020;font-weight:600}",
    ".alert{font-size:13px;padding:0 12px 6px;background:#fff;margin:0}.alert:empty{display:none}",
    ".new{background:transparent;border:1px solid rgba(255,255,255,.6);color:#fff;border-radius:8px;min-height:36px;padding:0 10px;font-size:13px;cursor:pointer}",
    ".new:hover{background:rgba(255,255,255,.15)}",
    ".suggest{padding:8px 12px;border-top:1px solid #ececf0;display:flex;flex-wrap:wrap;gap:6px;background:#fff}",
    ".suggest p{width:100%;margin:0;font-size:12.5px;color:#4a4a52}",
    ".chip{border:1px solid var(--a);color:var(--a);background:#fff;border-radius:16px;padding:5px 11px;font-size:13px;cursor:pointer;text-align:left}",
    ".chip:hover{background:#f8f5f6}",
    "form{display:flex;gap:8px;padding:10px;border-top:1px solid #e1e1e6;background:#fff}",
    "textarea{flex:1;resize:none;padding:10px;border:1px solid #a9a9b3;border-radius:10px;height:44px;max-height:120px;font-size:16px}",
    ".send{background:var(--a);color:#fff;border:0;border-radius:10px;padding:0 16px;font-weight:600;cursor:pointer;min-height:44px}",
    ".send:disabled{opacity:.6;cursor:default}",
    ":focus-visible{outline:3px solid #1a73e8;outline-offset:2px}",
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}",
    "@media (prefers-color-scheme:dark){:host{color:#ececf1}.panel,.suggest,form,.count,.alert{background:#1e1e22}",
    ".log{background:#141417}.bot,.tool,.fb button,.chip,textarea{background:#26262b;border-color:#44444c;color:#ececf1}",
    "blockquote{background:#2b2529}.tr{background:#202024;border-color:#55555e}mark{background:#5c4b00;color:#fff}",
    "figcaption,.foot,.fb,.wait,.ctx,.count,.suggest p,.tr .label{color:#b9b9c4}a,.chip{color:#f0a9c0}",
    ".chip{border-color:#f0a9c0}.badge{background:#1f3a26;color:#bfe6c8;border-color:#2f5e3a}",
    ".badge.summary{background:#3d2f12;color:#f3d9a4;border-color:#6b5220}.nc .label{color:#f0b86e}.count.over,.alert{color:#ff8a80}}",
    "@media (max-width:480px){.panel{right:0;bottom:0;width:100vw;height:100%;border-radius:0}.launcher{right:12px;bottom:12px}}"
  ].join("\n");

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = String(text);
    return node;
  }

  // Material icons (Apache 2.0): no emoji font needed
  var ICONS = {
    chat: "M20 2H4c-1.1 0-2 .9-2 2v18l4-4h14c1.1 0 2-.9 2-2V4c0-1.1-.9-2-2-2z",
    newc: "M19 13h-6v6h-2v-6H5v-2h6V5h2v6h6v2z",
    up: "M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z",
    down: "M15 3H6c-.83 0-1.54.5-1.84 1.22l-3.02 7.05c-.09.23-.14.47-.14.73v2c0 1.1.9 2 2 2h6.31l-.95 4.57-.03.32c0 .41.17.79.44 1.06L9.83 23l6.59-6.59c.36-.36.58-.86.58-1.41V5c0-1.1-.9-2-2-2zm4 0v12h4V3h-4z"
  };

  function icon(name, size) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", size);
    svg.setAttribute("height", size);
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", ICONS[name]);
    path.setAttribute("fill", "currentColor");
    svg.appendChild(path);
    return svg;
  }

  function safeUrl(value) {
    try {
      var url = new URL(String(value));
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  function mount() {
    var host = document.createElement("collab-advisor");
    var root = host.attachShadow({ mode: "open" });
    if (data.accent && window.CSS && window.CSS.supports("color", data.accent)) host.style.setProperty("--a", data.accent);
    // Constructed style sheets are not inline styles: they work under a CSP without 'unsafe-inline'.
    if ("adoptedStyleSheets" in root && "replaceSync" in CSSStyleSheet.prototype) {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(STYLE);
      root.adoptedStyleSheets = [sheet];
    } else {
      root.appendChild(el("style", null, STYLE));
    }

    function button(className, text, label) {
      var b = el("button", className, text);
      b.type = "button";
      if (label) b.setAttribute("aria-label", label);
      return b;
    }

    var launcher = button("launcher");
    launcher.setAttribute("aria-haspopup", "dialog");
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-controls", "panel");
    var launchText = el("span");
    launcher.append(icon("chat", 20), launchText);

    var panel = el("section", "panel");
    panel.id = "panel";
    panel.hidden = true;
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-labelledby", "title");

    var header = el("header");
    var heading = el("h2");
    heading.id = "title";
    var fresh = button("new");
    var close = button("close", "×");
    header.append(heading, fresh, close);

    var log = el("div", "log");
    log.setAttribute("role", "log");
    log.setAttribute("aria-live", "polite");
    log.tabIndex = 0;

    var suggest = el("div", "suggest");
    suggest.setAttribute("role", "group");

    var form = el("form");
    var input = el("textarea");
    // no maxLength: an over-long question is refused with a word, never cut
    input.rows = 1;
    input.enterKeyHint = "send";
    input.setAttribute("aria-describedby", "count alert");
    var send = el("button", "send");
    send.type = "submit";
    form.append(input, send);
    var count = el("div", "count");
    count.id = "count";
    count.hidden = true;
    var alert = el("p", "alert");
    alert.id = "alert";
    alert.setAttribute("role", "alert");

    panel.append(header, log, suggest, form, count, alert);
    root.append(launcher, panel);
    // Early in the tab order: first in the page, after a leading "skip to content" link if there is one.
    var first = document.body.firstElementChild;
    if (first && first.matches('a[href^="#"]')) first.after(host);
    else document.body.prepend(host);

    var KEY = "collab-advisor:" + API;
    var DRAFT = KEY + ":draft";

    // unsent text survives a reload of the page
    function keepDraft() {
      try {
        if (input.value) sessionStorage.setItem(DRAFT, input.value);
        else sessionStorage.removeItem(DRAFT);
      } catch (e) { /* storage off: the draft lives as long as the page */ }
    }
    var state = load();
    var busy = false;

    function load() {
      try {
        var saved = JSON.parse(sessionStorage.getItem(KEY));
        if (saved && Array.isArray(saved.turns)) return saved;
      } catch (e) { /* storage off or unreadable: start afresh */ }
      return { conversation: null, turns: [] };
    }

    function save() {
      state.turns = state.turns.slice(-20);
      try { sessionStorage.setItem(KEY, JSON.stringify(state)); } catch (e) { /* full or off: the page still works */ }
    }

    // The widget's own words follow the language of the last answer, whatever the page's.
    function setLanguage(code) {
      if (!STRINGS[code]) return;
      lang = code;
      T = STRINGS[code];
      panel.lang = lang;
      var title = data.title || T.title;
      launcher.title = title;
      launchText.textContent = T.launch;
      heading.textContent = title;
      fresh.textContent = "";
      fresh.append(icon("newc", 16), el("span", null, " " + T.newChat));
      close.setAttribute("aria-label", T.close);
      log.setAttribute("aria-label", title + " " + T.dialog);
      suggest.setAttribute("aria-label", T.suggested);
      suggest.textContent = "";
      suggest.append(el("p", null, T.suggested));
      T.questions.forEach(function (q) {
        var chip = button("chip", q);
        chip.addEventListener("click", function () { ask(q); });
        suggest.append(chip);
      });
      input.placeholder = T.placeholder;
      input.setAttribute("aria-label", T.input);
      send.textContent = T.send;
      counter();
    }

    // as the server counts: white space collapsed, code points
    function length(text) {
      return Array.from(text.trim().replace(/\s+/g, " ")).length;
    }

    function counter() {
      var n = length(input.value);
      count.hidden = n < LIMIT * 0.8;
      count.textContent = T.count.replace("{n}", n).replace("{limit}", LIMIT);
      count.classList.toggle("over", n > LIMIT);
      if (n <= LIMIT) alert.textContent = "";
    }

    var shown = false;
    function open(event) {
      panel.hidden = false;
      launcher.hidden = true;
      launcher.setAttribute("aria-expanded", "true");
      if (!shown) {  // the first time after a load, at the start of the newest message, as when it arrived
        shown = true;
        var newest = log.lastElementChild;
        if (newest) log.scrollTop = Math.max(0, newest.offsetTop - 8);
      }
      state.open = location.pathname;  // this page only: another page of the site opens it closed
      save();
      // opened by the reader, not brought back by a reload: only then does the box take the focus
      if (event) input.focus();
    }

    function shut() {
      panel.hidden = true;
      launcher.hidden = false;
      launcher.setAttribute("aria-expanded", "false");
      state.open = false;
      save();
      launcher.focus();
    }

    function restart() {
      state = { conversation: null, turns: [], open: location.pathname };
      save();
      log.textContent = "";
      addMessage(el("p", null, T.greeting));
      suggest.hidden = false;
      input.focus();
    }

    function addMessage(content, who) {
      var item = el("div", "msg " + (who || "bot"));
      item.append(el("span", "sr", who === "user" ? T.you : T.bot), content);
      log.append(item);
      log.scrollTop = who === "user" ? log.scrollHeight : Math.max(0, item.offsetTop - 8);
      return item;
    }

    function quoteText(text, highlight) {
      var p = el("p");
      var chars = Array.from(text); // offsets from the server count code points, not UTF-16 units
      // Emphasise the key sentence only where it stands out from the rest of the quote.
      if (highlight && highlight[0] >= 0 && highlight[0] < highlight[1] && highlight[1] <= chars.length &&
          highlight[1] - highlight[0] < 0.9 * chars.length) {
        p.append(document.createTextNode(chars.slice(0, highlight[0]).join("")),
          el("mark", null, chars.slice(highlight[0], highlight[1]).join("")),
          document.createTextNode(chars.slice(highlight[1]).join("")));
      } else {
        p.append(document.createTextNode(text));
      }
      return p;
    }

    function sourceLink(href, text, title) {
      var a = el("a", "src", text);
      a.href = href;
      a.setAttribute("aria-label", text + ": " + title);  // each link named after its document
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      var arrow = el("span", null, " ↗");
      arrow.setAttribute("aria-hidden", "true");
      a.append(arrow);
      return a;
    }

    function renderQuote(q, L) {
      var figure = el("figure");
      var block = el("blockquote");
      var link = safeUrl(q.url);
      if (link) block.cite = link;
      block.append(quoteText(q.text, q.highlight));
      var caption = el("figcaption");
      caption.append(document.createTextNode("— "), el("cite", null, q.title));
      var rest = [q.issuer, q.date].filter(Boolean).join(", ");
      if (rest) caption.append(document.createTextNode(", " + rest));
      caption.append(el("br"), el("span", "badge " + (q.authority === "official" ? "official" : "summary"),
        q.authority === "official" ? L.official : L.summary), el("br"));
      // The quote in its place on this server, and the public source (an official text scrolled to the quote).
      if (q.view_url) caption.append(sourceLink(API + q.view_url, L.context, q.title));
      if (link) {
        var words = q.text.split(/\s+/);
        var fragment = words.length > 8 ? [words.slice(0, 4).join(" "), words.slice(-4).join(" ")] : [q.text];
        var official = q.authority === "official";
        var target = official ? link.split("#")[0] + "#:~:text=" + fragment.map(encodeURIComponent).join(",") : link;
        // A summary's link leads to a page it summarises, which need not hold these words: it says so.
        caption.append(sourceLink(target, official ? L.read : L.readSummary, q.title));
      }
      figure.append(block, caption);
      if (q.translation) {
        var tr = el("div", "tr");
        tr.lang = q.translation_language || lang;
        var whole = q.translation_scope === "passage";  // the sentences did not line up: the paragraph's, said so
        tr.append(el("p", "label", (whole ? L.translationPassage : L.translation) +
          (q.translation_language ? " (" + q.translation_language.toUpperCase() + ")" : "")),
          el("p", null, q.translation));
        if (q.translation_note) tr.append(el("p", "tn", q.translation_note));
        figure.append(tr);
      }
      return figure;
    }

    // A vote stays with its turn (and in sessionStorage) until the server has it: while the server cannot be
    // reached it is shown as pending and sent again, with growing pauses, also after a reload of the page.
    function feedbackButtons(turn, L) {
      var bar = el("div", "fb");
      bar.setAttribute("role", "group");
      bar.setAttribute("aria-label", L.helped);
      bar.append(el("span", null, L.helped));
      var status = el("span", "fbs");
      status.setAttribute("role", "status");
      var pause = 2000;
      var choices = [[1, "up", L.yes], [-1, "down", L.no]].map(function (choice) {
        var b = button(null, null, choice[2]);
        b.append(icon(choice[1], 18));
        b.setAttribute("aria-pressed", "false");
        b.title = choice[2];
        b.addEventListener("click", function () {
          if (turn.rated) return;
          turn.rated = choice[0];
          turn.votePending = true;
          save();
          mark();
          deliver();
        });
        bar.append(b);
        return b;
      });
      bar.append(status);
      function mark() {  // aria-disabled, not disabled: a disabled button would drop the keyboard focus to the page
        choices.forEach(function (b, i) {
          b.setAttribute("aria-disabled", "true");
          b.setAttribute("aria-pressed", String(turn.rated === (i ? -1 : 1)));
        });
      }
      function deliver() {
        post("/api/feedback", { question_id: turn.a.question_id, feedback_token: turn.a.feedback_token, rating: turn.rated })
          .then(function (result) {
            bar.classList.toggle("pending", !!result.unreachable);
            if (result.unreachable) {
              status.textContent = L.votePending;
              setTimeout(deliver, pause);
              pause = Math.min(pause * 2, 60000);
              return;
            }
            turn.votePending = false;
            save();
            status.textContent = result.ok ? L.thanks : result.error;
            if (result.ok && turn.rated === -1) bar.after(commentForm(turn, L));
          });
      }
      if (turn.rated) mark();
      if (turn.votePending) deliver();
      return bar;
    }

    // After a thumbs-down, an optional word on what was missing: sent with the vote, replacing it.
    function commentForm(turn, L) {
      var box = el("div", "comment");
      var area = el("textarea");
      area.rows = 2;
      area.maxLength = 1000;
      area.placeholder = L.comment;
      area.setAttribute("aria-label", L.comment);
      var sendIt = button("tool", L.commentSend);
      sendIt.addEventListener("click", function () {
        var words = area.value.trim();
        if (!words) return;
        sendIt.disabled = true;
        post("/api/feedback", { question_id: turn.a.question_id, feedback_token: turn.a.feedback_token, rating: -1, comment: words })
          .then(function (result) {
            sendIt.disabled = false;
            if (result.ok) box.replaceChildren(el("p", "fbs", L.thanks));
            else box.append(el("p", "fbs", result.error));
          });
      });
      box.append(area, sendIt);
      return box;
    }

    // A chat model's plain-language answer, checked by the server against the quotes; labelled, never shown as guidance.
    function renderSummary(summary, L) {
      var box = el("div", "tr gen");
      box.append(el("p", "label", L.generated), el("p", null, summary));
      return box;
    }

    function copyButton(text, L) {
      var b = button("tool", L.copy, L.copyLabel);
      b.addEventListener("click", function () {
        var done = function () { b.textContent = L.copied; };
        if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(done, fallback);
        else fallback();
        function fallback() {  // pages served over plain http have no clipboard API
          var area = el("textarea");
          area.value = text;
          root.append(area);
          area.select();
          try { if (document.execCommand("copy")) done(); } catch (e) { /* nothing to copy into */ }
          area.remove();
          b.focus();
        }
      });
      return b;
    }

    function renderAnswer(turn) {
      var answer = turn.a;
      var L = STRINGS[answer.language] || T;  // labels in the answer's language, whatever the page's
      var box = el("div");
      if (answer.context) box.append(el("p", "ctx", answer.context));
      if (answer.small_talk) {  // "Thanks!", "Hello", "help": a reply in kind
        box.append(el("p", null, answer.intro));
        return box;
      }
      if (!answer.answered) {
        box.className = "nc";
        box.append(el("p", "label", L.notCovered), el("p", null, answer.intro), el("p", null, answer.footer));
      } else {
        if (answer.summary) box.append(renderSummary(answer.summary, L));
        box.append(el("p", null, answer.intro));
        (answer.quotes || []).forEach(function (q) { box.append(renderQuote(q, L)); });
        box.append(el("p", "foot", answer.footer));
      }
      var tools = el("div", "tools");
      tools.append(copyButton(answer.text, L));
      box.append(tools);
      if (answer.question_id && answer.feedback_token) box.append(feedbackButtons(turn, L));
      return box;
    }

    // What a follow-up leans on: the topic of the latest answer that was not small talk (bounded as the API wants).
    function lastTopic() {
      for (var i = state.turns.length - 1; i >= 0; i--) {
        var a = state.turns[i].a || {};
        if (a.small_talk) continue;
        var topic = typeof a.topic === "string" ? a.topic : (typeof a.question === "string" ? a.question : "");
        return Array.from(topic).slice(0, 1000).join("") || null;
      }
      return null;
    }

    function post(path, body) {
      return fetch(API + path, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
        credentials: "omit", mode: "cors"
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (json) {
          if (response.ok) return { ok: true, json: json };
          // a proxy without its server
          if (response.status === 502 || response.status === 503 || response.status === 504) {
            return { ok: false, unreachable: true, error: json.error || T.error };
          }
          if (response.status === 429) {
            return { ok: false, error: T.wait.replace("{s}", response.headers.get("Retry-After") || "60") };
          }
          return { ok: false, error: json.error || T.error };
        });
      }, function () {
        return unreachable();
      });
    }

    // fetch() gives no reason for a failure. A request that needs no CORS tells an advisor that is down from one
    // that refuses this page's origin, and the console says what to set.
    var refusedOrigin = false;
    function unreachable() {
      if (API === location.origin) return Promise.resolve({ ok: false, unreachable: true, error: T.error });
      return fetch(API + "/healthz", { mode: "no-cors", credentials: "omit" }).then(function () {
        if (!refusedOrigin) {
          refusedOrigin = true;
          console.error("Collaboration Advisor: the server at " + API + " does not accept requests from this page's origin, " +
            location.origin + ". Add it to ADVISOR_CORS_ORIGINS on that server (ADVISOR_CORS_ORIGINS=" + location.origin +
            ") and restart it.");
        }
        return { ok: false, error: T.error };
      }, function () {
        return { ok: false, unreachable: true, error: T.error };
      });
    }

    function ask(question) {
      question = question.trim();
      if (!question || busy) return;
      var n = length(question);
      if (n > LIMIT) {  // refused whole, never cut: the question stays in the box to be shortened
        alert.textContent = T.tooLong.replace("{n}", n).replace("{limit}", LIMIT);
        input.focus();
        return;
      }
      busy = true;
      send.disabled = true;
      suggest.hidden = true;
      input.value = "";
      keepDraft();
      counter();
      var mine = addMessage(document.createTextNode(question), "user");
      var wait = el("div", "wait");
      wait.setAttribute("role", "status");
      var dots = el("span", "dots");
      dots.setAttribute("aria-hidden", "true");
      dots.append(el("i"), el("i"), el("i"));
      wait.append(dots, el("span", null, T.thinking));
      var pending = addMessage(wait);
      log.setAttribute("aria-busy", "true");
      // No "lang": the server detects the question's language. The server keeps the conversation's turns; the
      // topic of the last answer goes too, so that a server restarted or idle past its limit still reads a follow-up.
      var body = { question: question };
      if (state.conversation) body.conversation = state.conversation;
      var topic = lastTopic();
      if (topic) body.previous = topic;
      post("/api/ask", body).then(function (result) {
        pending.remove();
        log.removeAttribute("aria-busy");
        busy = false;
        send.disabled = false;
        if (result.ok) {
          var turn = { q: question, a: result.json };
          state.conversation = result.json.conversation || null;
          state.turns.push(turn);
          save();
          setLanguage(result.json.language);
          addMessage(renderAnswer(turn));
          input.focus();
          return;
        }
        // The question is kept: in the box, and one press away from being asked again.
        var failed = el("div");
        var retry = button("tool", T.retry);
        retry.addEventListener("click", function () {
          failed.parentNode.remove();
          mine.remove();
          ask(question);
        });
        failed.append(el("p", null, result.error), retry);
        addMessage(failed);
        if (!input.value) input.value = question;
        keepDraft();
        counter();
        retry.focus();
      });
    }

    // Focus stays inside the open panel: Tab wraps around, both ways.
    function trap(event) {
      var items = Array.prototype.filter.call(panel.querySelectorAll("button,a[href],textarea,[tabindex='0']"), function (x) {
        return !x.disabled && x.getClientRects().length;
      });
      var at = items.indexOf(root.activeElement);
      var to = event.shiftKey ? (at <= 0 ? items.length - 1 : -1) : (at === items.length - 1 || at < 0 ? 0 : -1);
      if (to >= 0) {
        event.preventDefault();
        items[to].focus();
      }
    }

    launcher.addEventListener("click", open);
    close.addEventListener("click", shut);
    fresh.addEventListener("click", restart);
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        event.preventDefault();
        shut();
      } else if (event.key === "Tab") {
        trap(event);
      }
    });
    input.addEventListener("input", function () {
      counter();
      keepDraft();
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        ask(input.value);
      }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      ask(input.value);
    });

    var last = state.turns[state.turns.length - 1];
    try { input.value = sessionStorage.getItem(DRAFT) || ""; } catch (e) { /* storage off */ }
    setLanguage(last ? last.a.language : lang);
    if (!state.turns.length) addMessage(el("p", null, T.greeting));
    suggest.hidden = state.turns.length > 0;
    state.turns.forEach(function (turn) {  // the conversation so far, as it was before the reload
      addMessage(document.createTextNode(turn.q), "user");
      addMessage(renderAnswer(turn));
    });
    // open before the reload: open again, at the newest message
    if (state.open === location.pathname) open();
  }

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
