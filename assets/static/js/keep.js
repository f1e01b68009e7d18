// Keeps what was typed in a form marked data-keep="<key>": a draft in
// localStorage, saved on every input, put back when the page is opened
// again with the form empty (a reload, a crash, a lost connection).
//
// A submitted draft becomes "pending": if the same form comes back with
// errors the draft is kept; any other page next (the record was saved and
// the browser was redirected) throws it away, so a saved record never comes
// back as a draft. Passwords, hidden fields, files and fields marked
// data-keep-skip (resident ID numbers) are never stored.
(function () {
  "use strict";
  var PREFIX = "doudi.keep.";
  var PENDING = PREFIX + "pending";
  var MAX_AGE = 7 * 24 * 3600 * 1000; // drafts older than a week are dropped
  var PENDING_AGE = 10 * 60 * 1000; // a submit answers within minutes

  function store() {
    try {
      var s = window.localStorage;
      s.setItem(PREFIX + "probe", "1");
      s.removeItem(PREFIX + "probe");
      return s;
    } catch (e) {
      return null; // private mode or storage off: the form works as before
    }
  }
  var ls = store();

  function read(key) {
    if (!ls) return null;
    try {
      var v = JSON.parse(ls.getItem(key) || "null");
      return v && typeof v === "object" ? v : null;
    } catch (e) {
      return null;
    }
  }

  function write(key, value) {
    if (!ls) return;
    try {
      ls.setItem(key, JSON.stringify(value));
    } catch (e) {
      /* full: nothing kept */
    }
  }

  function drop(key) {
    if (ls) ls.removeItem(key);
  }

  function draftKey(form) {
    return (
      PREFIX +
      "draft." +
      (form.getAttribute("data-keep-user") || "") +
      "." +
      form.getAttribute("data-keep") +
      "." +
      window.location.pathname
    );
  }

  function skipped(el) {
    if (!el.name || el.disabled) return true;
    var type = (el.type || "").toLowerCase();
    if (
      type === "password" ||
      type === "hidden" ||
      type === "file" ||
      type === "submit" ||
      type === "button" ||
      type === "reset" ||
      type === "image"
    )
      return true;
    return el.hasAttribute("data-keep-skip") || !!el.closest("[data-keep-skip]");
  }

  function fields(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return !skipped(el);
    });
  }

  function snapshot(form) {
    var values = [];
    fields(form).forEach(function (el) {
      var type = (el.type || "").toLowerCase();
      if (type === "checkbox" || type === "radio") {
        if (el.checked) values.push([el.name, el.value]);
      } else if (el.tagName === "SELECT" && el.multiple) {
        Array.prototype.forEach.call(el.selectedOptions, function (o) {
          values.push([el.name, o.value]);
        });
      } else {
        values.push([el.name, el.value]);
      }
    });
    return { at: Date.now(), values: values };
  }

  // Empty: nobody has typed into it (every text field blank).
  function isEmpty(form) {
    return fields(form).every(function (el) {
      var type = (el.type || "").toLowerCase();
      if (el.tagName === "SELECT" || type === "checkbox" || type === "radio") return true;
      return el.value === "";
    });
  }

  function hasErrors(form) {
    return !!form.querySelector('[aria-invalid="true"], .field-error');
  }

  function hasTyping(draft) {
    return draft.values.some(function (pair) {
      return pair[1] !== "";
    });
  }

  // A select whose options are loaded later (township -> village): its
  // value is set once htmx has swapped the options in.
  function setLater(select, value) {
    function settle() {
      select.removeEventListener("htmx:afterSwap", settle);
      select.value = value;
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }
    select.addEventListener("htmx:afterSwap", settle);
  }

  function restore(form, draft) {
    var byName = {};
    draft.values.forEach(function (pair) {
      (byName[pair[0]] = byName[pair[0]] || []).push(pair[1]);
    });
    var changed = [];
    fields(form).forEach(function (el) {
      if (!(el.name in byName)) return;
      var wanted = byName[el.name];
      var type = (el.type || "").toLowerCase();
      if (type === "checkbox" || type === "radio") {
        el.checked = wanted.indexOf(el.value) >= 0;
      } else if (el.tagName === "SELECT") {
        var has = Array.prototype.some.call(el.options, function (o) {
          return o.value === wanted[0];
        });
        if (el.value !== wanted[0]) {
          if (has) {
            el.value = wanted[0];
            changed.push(el);
          } else {
            setLater(el, wanted[0]);
          }
        }
      } else {
        el.value = wanted[0];
      }
    });
    // Let dependent selects (hx-trigger="change") load their options.
    changed.forEach(function (el) {
      if (el.hasAttribute("hx-get")) el.dispatchEvent(new Event("change", { bubbles: true }));
    });
    form.setAttribute("data-keep-restored", "");
    var notice = form.querySelector("[data-keep-notice]");
    if (notice) notice.hidden = false;
  }

  // The notice's button throws the restored draft away.
  function offerClear(form, key) {
    var button = form.querySelector("[data-keep-clear]");
    if (!button) return;
    button.addEventListener("click", function () {
      drop(key);
      form.reset();
      var notice = form.querySelector("[data-keep-notice]");
      if (notice) notice.hidden = true;
    });
  }

  function cleanOld() {
    if (!ls) return;
    var now = Date.now();
    for (var i = ls.length - 1; i >= 0; i--) {
      var k = ls.key(i);
      if (k && k.indexOf(PREFIX + "draft.") === 0) {
        var d = read(k);
        if (!d || !d.at || now - d.at > MAX_AGE) drop(k);
      }
    }
  }

  function start() {
    if (!ls) return;
    cleanOld();
    var pending = read(PENDING);
    drop(PENDING);
    if (pending && Date.now() - (pending.at || 0) > PENDING_AGE) pending = null;
    var forms = document.querySelectorAll("form[data-keep]");
    Array.prototype.forEach.call(forms, function (form) {
      var key = draftKey(form);
      if (
        pending &&
        pending.form === form.getAttribute("data-keep") &&
        pending.user === (form.getAttribute("data-keep-user") || "") &&
        hasErrors(form)
      ) {
        // The same form came back with errors: its draft lives on, under
        // the address it was first typed at.
        key = pending.key;
        write(key, pending.draft);
      } else {
        var draft = read(key);
        if (draft && draft.values && hasTyping(draft) && isEmpty(form)) restore(form, draft);
      }
      offerClear(form, key);
      var timer = null;
      function save() {
        timer = null;
        if (submitted) return; // the pending copy speaks for it now
        var snap = snapshot(form);
        if (hasTyping(snap)) write(key, snap);
        else drop(key);
      }
      function later() {
        if (timer) window.clearTimeout(timer);
        timer = window.setTimeout(save, 300);
      }
      form.addEventListener("input", later);
      form.addEventListener("change", later);
      var submitted = false;
      form.addEventListener("submit", function () {
        if (timer) window.clearTimeout(timer);
        timer = null;
        submitted = true;
        write(PENDING, {
          at: Date.now(),
          key: key,
          form: form.getAttribute("data-keep"),
          user: form.getAttribute("data-keep-user") || "",
          draft: snapshot(form),
        });
        drop(key);
      });
      // Leaving the page without submitting keeps the newest typing.
      window.addEventListener("pagehide", function () {
        if (timer) save();
      });
    });
  }

  // After htmx has set up its elements (it starts on DOMContentLoaded too,
  // and its script comes first), so a restored township loads its villages.
  function later() {
    window.setTimeout(start, 0);
  }
  if (document.readyState === "complete") {
    later();
  } else {
    document.addEventListener("DOMContentLoaded", later);
  }
})();
