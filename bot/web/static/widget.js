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

  var STRINGS = /*STRINGS*/null;  // filled in by the server from advisor/strings.py (WIDGET, EXAMPLES)

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
  var title = data.title || T.title;

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
    ".thinking{color:#4a4a52;font-style:italic}",
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
    "@media (max-width:480px){.panel{right:0;bottom:0;width:100vw;height:100%;border-radius:0}.launcher{right:12px;bottom:12px}}"
  ].join("\n");

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = String(text);
    return node;
  }

  var ICONS = { // Material icons (Apache 2.0): no emoji font needed
    chat: "M20 2H4c-1.1 0-2 .9-2 2v18l4-4h14c1.1 0 2-.9 2-2V4c0-1.1-.9-2-2-2z",
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

    var launcher = el("button", "launcher");
    launcher.type = "button";
    launcher.setAttribute("aria-haspopup", "dialog");
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-controls", "panel");
    launcher.title = title;
    launcher.append(icon("chat", 20), el("span", null, T.launch));

    var panel = el("section", "panel");
    panel.id = "panel";
    panel.hidden = true;
    panel.lang = lang;
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-labelledby", "title");

    var header = el("header");
    var heading = el("h2", null, title);
    heading.id = "title";
    var close = el("button", "close", "×");
    close.type = "button";
    close.setAttribute("aria-label", T.close);
    header.append(heading, close);

    var log = el("div", "log");
    log.setAttribute("role", "log");
    log.setAttribute("aria-live", "polite");
    log.setAttribute("aria-label", title + " " + T.dialog);
    log.tabIndex = 0;

    var suggest = el("div", "suggest");
    suggest.setAttribute("role", "group");
    suggest.setAttribute("aria-label", T.suggested);
    suggest.append(el("p", null, T.suggested));
    T.questions.forEach(function (q) {
      var chip = el("button", "chip", q);
      chip.type = "button";
      chip.addEventListener("click", function () { ask(q); });
      suggest.append(chip);
    });

    var form = el("form");
    var input = el("textarea");
    input.rows = 1;
    input.maxLength = 1000;
    input.placeholder = T.placeholder;
    input.setAttribute("aria-label", T.input);
    input.enterKeyHint = "send";
    var send = el("button", "send", T.send);
    send.type = "submit";
    form.append(input, send);

    panel.append(header, log, suggest, form);
    root.append(launcher, panel);
    document.body.appendChild(host);

    var greeted = false;
    var busy = false;

    function open() {
      panel.hidden = false;
      launcher.hidden = true;
      launcher.setAttribute("aria-expanded", "true");
      if (!greeted) {
        greeted = true;
        addMessage(el("p", null, T.greeting));
      }
      input.focus();
    }

    function shut() {
      panel.hidden = true;
      launcher.hidden = false;
      launcher.setAttribute("aria-expanded", "false");
      launcher.focus();
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
        q.authority === "official" ? L.official : L.summary));
      // Official text: its own page, scrolled to the quote (a text fragment); a summary: its page on this server.
      var words = q.text.split(/\s+/);
      var fragment = words.length > 8 ? words.slice(0, 4).join(" ") + "," + words.slice(-4).join(" ") : q.text;
      var target = link && q.authority === "official" ? link.split("#")[0] + "#:~:text=" + fragment.split(",").map(encodeURIComponent).join(",")
        : (q.view_url ? API + q.view_url : link);
      if (target) {
        var a = el("a", null, link && q.authority === "official" ? L.read : L.context);
        a.href = target;
        a.setAttribute("aria-label", (link && q.authority === "official" ? L.read : L.context) + ": " + q.title);
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        var arrow = el("span", null, " ↗");
        arrow.setAttribute("aria-hidden", "true");
        a.append(arrow);
        caption.append(a);
      }
      figure.append(block, caption);
      if (q.translation) {
        var tr = el("div", "tr");
        tr.lang = q.translation_language || lang;
        tr.append(el("p", "label", L.translation + (q.translation_language ? " (" + q.translation_language.toUpperCase() + ")" : "")),
          el("p", null, q.translation));
        if (q.translation_note) tr.append(el("p", "tn", q.translation_note));
        figure.append(tr);
      }
      return figure;
    }

    function feedbackButtons(questionId, token, L) {
      var bar = el("div", "fb");
      bar.setAttribute("role", "group");
      bar.setAttribute("aria-label", L.helped);
      bar.append(el("span", null, L.helped));
      [[1, "up", L.yes], [-1, "down", L.no]].forEach(function (choice) {
        var button = el("button");
        button.append(icon(choice[1], 18));
        button.type = "button";
        button.setAttribute("aria-label", choice[2]);
        button.setAttribute("aria-pressed", "false");
        button.title = choice[2];
        button.addEventListener("click", function () {
          if (bar.dataset.sent) return;
          bar.dataset.sent = "1";
          // aria-disabled, not disabled: a disabled button would drop the keyboard focus to the page
          bar.querySelectorAll("button").forEach(function (b) { b.setAttribute("aria-disabled", "true"); });
          button.setAttribute("aria-pressed", "true");
          post("/api/feedback", { question_id: questionId, feedback_token: token, rating: choice[0] }).then(function (result) {
            bar.append(el("span", null, result.ok ? L.thanks : result.error));
          });
        });
        bar.append(button);
      });
      return bar;
    }

    // A chat model's plain-language answer, checked by the server against the quotes; labelled, never shown as guidance.
    function renderSummary(summary, L) {
      var box = el("div", "tr gen");
      box.append(el("p", "label", L.generated), el("p", null, summary));
      return box;
    }

    function renderAnswer(answer) {
      var L = STRINGS[answer.language] || T;  // labels in the answer's language, whatever the page's
      var box = el("div");
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
      if (answer.question_id && answer.feedback_token) box.append(feedbackButtons(answer.question_id, answer.feedback_token, L));
      return box;
    }

    function post(path, body) {
      return fetch(API + path, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
        credentials: "omit", mode: "cors"
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (json) {
          if (response.ok) return { ok: true, json: json };
          if (response.status === 429) {
            return { ok: false, error: T.wait.replace("{s}", response.headers.get("Retry-After") || "60") };
          }
          return { ok: false, error: json.error || T.error };
        });
      }, function () {
        return { ok: false, error: T.error };
      });
    }

    var previousQuestion = null;

    function ask(question) {
      question = question.trim();
      if (!question || busy) return;
      busy = true;
      send.disabled = true;
      suggest.hidden = true;
      input.value = "";
      addMessage(document.createTextNode(question), "user");
      var pending = addMessage(el("p", "thinking", T.thinking));
      log.setAttribute("aria-busy", "true");
      // No "lang": the server detects the question's language, so an English question on a French page still
      // matches the English texts; the interface strings stay in the page's language.
      var body = previousQuestion ? { question: question, previous: previousQuestion } : { question: question };
      previousQuestion = question;  // a follow-up ("and for postdocs?") is searched together with it
      post("/api/ask", body).then(function (result) {
        pending.remove();
        log.removeAttribute("aria-busy");
        addMessage(result.ok ? renderAnswer(result.json) : el("p", null, result.error));
        busy = false;
        send.disabled = false;
        input.focus();
      });
    }

    launcher.addEventListener("click", open);
    close.addEventListener("click", shut);
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        event.preventDefault();
        shut();
      }
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
  }

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
