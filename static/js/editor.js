/* SOP Desk draft editor: live preview, the step editor, the measures editor, unsaved-changes guard,
 * images (chosen or pasted) and attached files.
 * No dependencies. The server stays the authority: it renders the preview with the manual's
 * sanitizing renderer and validates every step again on save. */
(function () {
  "use strict";

  var form = document.getElementById("draft-editor");
  if (!form) return;
  // What the editor says comes from Django's JavaScript catalog (/jsi18n/), in the reader's language.
  var gettext = window.gettext || function (text) { return text; };
  var interpolate = window.interpolate || function (text, values) {
    return text.replace(/%\((\w+)\)s/g, function (match, name) { return values[name]; });
  };
  function fmt(template, value) { return interpolate(template, { n: value }, true); }
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var previewUrl = form.getAttribute("data-preview-url");
  var dirty = false;


  /* ---------- unsaved changes ---------- */
  var dirtyState = form.querySelector("[data-dirty-state]");
  // Inputs that belong to another form (the attachment forms) are not part of the draft.
  function ownField(event) { return !(event && event.target && event.target.form && event.target.form !== form); }
  function markDirty(event) {
    if (dirty || !ownField(event)) return;
    dirty = true;
    if (dirtyState) dirtyState.textContent = gettext("Unsaved changes");
  }
  form.addEventListener("input", markDirty);
  form.addEventListener("change", markDirty);
  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });

  /* ---------- live preview ---------- */
  function previewTarget(textarea) {
    var existing = form.querySelector('[data-preview-for="' + textarea.id + '"]');
    if (existing) return existing;
    var div = document.createElement("div");
    div.className = "md-preview md-preview--compact";
    div.setAttribute("aria-live", "polite");
    textarea.insertAdjacentElement("afterend", div);
    return div;
  }

  function renderPreview(textarea) {
    var target = textarea._preview || (textarea._preview = previewTarget(textarea));
    if (!textarea.value.trim()) {
      var empty = document.createElement("p");
      empty.className = "muted";
      empty.textContent = gettext("Nothing to preview yet.");
      target.replaceChildren(empty);
      return;
    }
    var body = new URLSearchParams();
    body.set("text", textarea.value);
    var request = (textarea._previewRequest || 0) + 1;
    textarea._previewRequest = request;
    fetch(previewUrl, {
      method: "POST",
      headers: { "X-CSRFToken": csrf, "Content-Type": "application/x-www-form-urlencoded" },
      body: body.toString(),
      credentials: "same-origin"
    }).then(function (response) {
      // 400: the server says why it cannot preview this text (too long, too complex).
      var plain = (response.headers.get("Content-Type") || "").indexOf("text/plain") === 0;
      if (response.status === 400 && plain) return response.text().then(function (reason) { throw new Error(reason); });
      if (!response.ok) throw new Error("");
      return response.text();
    }).then(function (html) {
      // The server has sanitized this HTML with the manual's allow-lists.
      if (textarea._previewRequest === request) target.innerHTML = html;
    }).catch(function (error) {
      if (textarea._previewRequest === request) target.textContent = (error && error.message) || gettext("The preview could not be loaded; your text is safe.");
    });
  }

  function watchPreview(textarea) {
    addImageTools(textarea);
    var timer = null;
    textarea.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { renderPreview(textarea); }, 350);
    });
    if (textarea.value.trim()) renderPreview(textarea);
  }

  /* ---------- images: chosen with a button or pasted; inserted at the cursor ---------- */
  var imageUrl = form.getAttribute("data-image-url");
  var picker = document.getElementById("image-picker");
  var pickerTarget = null;

  function labelOf(textarea) {
    var label = form.querySelector('label[for="' + textarea.id + '"]');
    return label ? label.textContent.trim() : gettext("Step");
  }

  function statusFor(textarea) {
    if (textarea._status) return textarea._status;
    var status = document.createElement("p");
    status.className = "help";
    status.setAttribute("role", "status");
    textarea._tools.appendChild(status);
    textarea._status = status;
    return status;
  }

  // Notes under a text: a picture without a description, a template's guidance still there.
  var CHECKS = [
    { name: "alt", test: /!\[\s*\]\(/, message: function () { return gettext("An image here has no description. Write what it shows between the square brackets: ![Disposition menu of the CRM](…)"); } },
    { name: "guidance", test: /\[\[[\s\S]+?\]\]/, message: function () { return gettext("Replace the template’s guidance between [[ and ]] with your own text: a draft with guidance left cannot be submitted."); } }
  ];
  function checkAlt(textarea) {
    textarea._notes = textarea._notes || {};
    var describedBy = (textarea.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    CHECKS.forEach(function (check) {
      var note = textarea._notes[check.name];
      if (!note) {
        note = document.createElement("p");
        note.className = "md-warning";
        note.hidden = true;
        note.textContent = check.message();
        note.id = textarea.id + "-" + check.name + "-warning";
        // Below the text and its preview when they sit side by side; else right below the text.
        var pair = textarea.parentElement.classList.contains("md-pair") ? textarea.parentElement : textarea;
        pair.insertAdjacentElement("afterend", note);
        textarea._notes[check.name] = note;
      }
      var shown = check.test.test(textarea.value);
      note.hidden = !shown;
      describedBy = describedBy.filter(function (id) { return id !== note.id; });
      if (shown) describedBy.push(note.id);
    });
    if (describedBy.length) textarea.setAttribute("aria-describedby", describedBy.join(" "));
    else textarea.removeAttribute("aria-describedby");
  }

  function insertAtCursor(textarea, text, caretOffset) {
    var start = textarea.selectionStart, end = textarea.selectionEnd;
    var before = textarea.value.slice(0, start), after = textarea.value.slice(end);
    var pad = before && !/\n$/.test(before) ? "\n" : "";
    textarea.value = before + pad + text + after;
    var caret = before.length + pad.length + caretOffset;
    textarea.focus();
    textarea.setSelectionRange(caret, caret);
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function uploadImage(textarea, file) {
    var status = statusFor(textarea);
    status.textContent = gettext("Uploading the image…");
    var start = textarea.selectionStart;
    var body = new FormData();
    body.append("image", file, file.name || "pasted.png");
    fetch(imageUrl, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "Accept": "application/json" }
    }).then(function (response) {
      return response.json().catch(function () { return { error: gettext("The file could not be uploaded; check your connection and try again.") }; });
    }).then(function (data) {
      if (data.error || !data.url) { status.textContent = data.error || gettext("The file could not be uploaded; check your connection and try again."); status.setAttribute("role", "alert"); return; }
      status.setAttribute("role", "status");
      status.textContent = gettext("Image added. Describe what it shows between the square brackets.");
      textarea.setSelectionRange(start, start);
      insertAtCursor(textarea, "![](" + data.url + ")", 2);
    }).catch(function () {
      status.textContent = gettext("The file could not be uploaded; check your connection and try again.");
    });
  }

  function addImageTools(textarea) {
    if (textarea._tools || !imageUrl) return;
    var tools = document.createElement("div");
    tools.className = "md-tools";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button button--small";
    button.textContent = gettext("Add an image");
    button.setAttribute("data-insert-image", "");
    // Which text it goes into, for screen readers: the element's name, or "this step".
    var target = document.createElement("span");
    target.className = "visually-hidden";
    target.textContent = " " + (textarea.matches("[data-step-text]") ? gettext("to this step") : fmt(gettext("to %(n)s"), labelOf(textarea)));
    button.appendChild(target);
    tools.appendChild(button);
    // Above the text and its preview side by side (an element), or above a step's text.
    var pair = textarea.parentElement.classList.contains("md-pair") ? textarea.parentElement : textarea;
    pair.insertAdjacentElement("beforebegin", tools);
    textarea._tools = tools;
    button.addEventListener("click", function () {
      pickerTarget = textarea;
      picker.value = "";
      picker.click();
    });
    textarea.addEventListener("input", function () { checkAlt(textarea); });
    checkAlt(textarea);
  }

  if (picker) {
    picker.addEventListener("change", function () {
      if (pickerTarget && picker.files.length) uploadImage(pickerTarget, picker.files[0]);
    });
  }

  form.addEventListener("paste", function (event) {
    var textarea = event.target;
    if (!textarea.matches || !textarea.matches("textarea[data-markdown]") || !event.clipboardData) return;
    var files = Array.prototype.filter.call(event.clipboardData.files || [], function (file) {
      return /^image\//.test(file.type);
    });
    if (!files.length) return;
    event.preventDefault();
    uploadImage(textarea, files[0]);
  });

  /* ---------- attached files: uploaded and removed without leaving the editor ---------- */
  var attachmentSlot = form.querySelector("[data-attachment-slot]");
  var attachmentStatus = form.querySelector("[data-attachment-status]");
  document.querySelectorAll("form[data-attachment-form]").forEach(function (other) {
    other.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = new FormData(other);
      if (event.submitter && event.submitter.name) body.append(event.submitter.name, event.submitter.value);
      attachmentStatus.setAttribute("role", "status");
      attachmentStatus.textContent = gettext("Attaching…");
      fetch(other.action, {
        method: "POST", body: body, credentials: "same-origin",
        headers: { "X-CSRFToken": csrf, "Accept": "application/json" }
      }).then(function (response) {
        return response.json().catch(function () { return { error: gettext("The file could not be uploaded; check your connection and try again.") }; });
      }).then(function (data) {
        if (data.error) {
          attachmentStatus.setAttribute("role", "alert");
          attachmentStatus.textContent = data.error;
          return;
        }
        attachmentSlot.innerHTML = data.html;  // rendered by the server's template, escaped there
        attachmentStatus.textContent = data.message;
        if (other.id === "attachment-upload") {
          document.querySelectorAll('[form="attachment-upload"]').forEach(function (input) {
            if (input.tagName === "INPUT") input.value = "";
          });
        }
      }).catch(function () {
        attachmentStatus.setAttribute("role", "alert");
        attachmentStatus.textContent = gettext("The file could not be uploaded; check your connection and try again.");
      });
    });
  });

  form.querySelectorAll("textarea[data-markdown]").forEach(watchPreview);

  /* ---------- formset helpers ---------- */
  function renumberNames(row, prefix, index) {
    var pattern = new RegExp(prefix + "-(\\d+|__prefix__)-");
    row.querySelectorAll("[name], [id], label[for]").forEach(function (el) {
      ["name", "id", "for"].forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value && pattern.test(value)) el.setAttribute(attr, value.replace(pattern, prefix + "-" + index + "-"));
      });
    });
  }
  function setTotal(prefix, count) {
    form.querySelector('input[name="' + prefix + '-TOTAL_FORMS"]').value = count;
  }
  function fromTemplate(id) {
    return document.getElementById(id).content.firstElementChild.cloneNode(true);
  }

  /* ---------- steps ---------- */
  var stepsEditor = form.querySelector("[data-steps-editor]");
  var stepList = stepsEditor.querySelector("[data-step-list]");
  var emptySteps = stepsEditor.querySelector("[data-steps-empty]");

  function stepRows() { return Array.prototype.slice.call(stepList.querySelectorAll("[data-step-row]")); }
  function field(row, suffix) { return row.querySelector('[name$="-' + suffix + '"]'); }
  function currentFormat() {
    var checked = form.querySelector('input[name="step_format"]:checked');
    return checked ? checked.value : "SIMPLE";
  }
  function levelOf(row) { return parseInt(field(row, "level").value, 10) || 1; }
  function kindOf(row) { return field(row, "kind").value; }

  function stepNumbers(levels) {
    var counters = [];
    return levels.map(function (level) {
      var depth = Math.max(1, Math.min(level, counters.length + 1));
      counters.length = Math.min(counters.length, depth);
      if (counters.length < depth) counters.push(0);
      counters[depth - 1] += 1;
      return counters.join(".");
    });
  }

  function refreshSteps() {
    var format = currentFormat();
    var rows = stepRows();
    var levels = rows.map(function (row) { return format === "HIERARCHICAL" ? levelOf(row) : 1; });
    var numbers = stepNumbers(levels);
    stepsEditor.setAttribute("data-format", format);
    emptySteps.hidden = rows.length > 0;
    setTotal("steps", rows.length);
    var choices = rows.map(function (row, i) {
      var text = field(row, "text").value.trim().replace(/\s+/g, " ");
      return { key: field(row, "key").value, label: fmt(gettext("Step %(n)s"), numbers[i]) + (text ? ": " + text.slice(0, 60) : "") };
    });
    rows.forEach(function (row, i) {
      renumberNames(row, "steps", i);
      row.querySelector("[data-step-number]").textContent = numbers[i];
      row.style.setProperty("--level", levels[i]);
      row.querySelectorAll("[data-step-action]").forEach(function (button) {
        var action = button.getAttribute("data-step-action");
        var label = { up: gettext("Move step %(n)s up"), down: gettext("Move step %(n)s down"), indent: gettext("Indent step %(n)s"), outdent: gettext("Outdent step %(n)s"), remove: gettext("Remove step %(n)s") }[action];
        button.setAttribute("aria-label", fmt(label, numbers[i]));
      });
      var kind = kindOf(row);
      row.classList.toggle("step-row--decision", format === "FLOWCHART" && kind === "DECISION");
      row.querySelectorAll("[data-only-format]").forEach(function (el) {
        el.hidden = el.getAttribute("data-only-format") !== format;
      });
      row.querySelectorAll("[data-only-kind]").forEach(function (el) {
        if (format === "FLOWCHART") el.hidden = el.getAttribute("data-only-kind") !== kind;
      });
      var ownKey = field(row, "key").value;
      row.querySelectorAll("select[data-step-target]").forEach(function (select) {
        var value = select.value || select.getAttribute("data-value") || "";
        select.removeAttribute("data-value");
        var blank = select.options[0].cloneNode(true);
        select.replaceChildren();
        select.appendChild(blank);
        choices.forEach(function (choice) {
          if (choice.key === ownKey) return;
          var option = document.createElement("option");
          option.value = choice.key;
          option.textContent = choice.label;
          if (choice.key === value) option.selected = true;
          select.appendChild(option);
        });
      });
    });
    stepsEditor.querySelectorAll(":scope > [data-only-format]").forEach(function (el) {
      el.hidden = el.getAttribute("data-only-format") !== format;
    });
  }

  function newKey() { return "k" + Date.now().toString(36) + Math.random().toString(36).slice(2, 7); }

  function addStep() {
    var row = fromTemplate("step-template");
    var rows = stepRows();
    field(row, "key").value = newKey();
    field(row, "level").value = rows.length ? levelOf(rows[rows.length - 1]) : 1;
    stepList.appendChild(row);
    refreshSteps();
    watchPreview(field(row, "text"));
    field(row, "text").focus();
    markDirty();
  }

  stepsEditor.querySelector("[data-step-add]").addEventListener("click", addStep);

  stepList.addEventListener("click", function (event) {
    var button = event.target.closest("[data-step-action]");
    if (!button) return;
    var row = button.closest("[data-step-row]");
    var action = button.getAttribute("data-step-action");
    var level = levelOf(row);
    if (action === "up" && row.previousElementSibling) {
      stepList.insertBefore(row, row.previousElementSibling);
    } else if (action === "down" && row.nextElementSibling) {
      stepList.insertBefore(row.nextElementSibling, row);
    } else if (action === "indent") {
      var previous = row.previousElementSibling;
      var limit = previous ? levelOf(previous) + 1 : 1;
      field(row, "level").value = Math.min(level + 1, limit, 4);
    } else if (action === "outdent") {
      field(row, "level").value = Math.max(level - 1, 1);
    } else if (action === "remove") {
      var next = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      refreshSteps();
      markDirty();
      (next ? field(next, "text") : stepsEditor.querySelector("[data-step-add]")).focus();
      return;
    }
    refreshSteps();
    markDirty();
    button.focus();
  });

  var labelTimer = null;
  stepList.addEventListener("input", function (event) {
    if (!event.target.matches("[data-step-text]")) return;
    clearTimeout(labelTimer);
    labelTimer = setTimeout(refreshSteps, 400);
  });
  stepList.addEventListener("change", function (event) {
    if (event.target.matches("[data-step-kind]")) refreshSteps();
  });
  form.querySelectorAll('input[name="step_format"]').forEach(function (radio) {
    radio.addEventListener("change", refreshSteps);
  });
  stepRows().forEach(function (row) {
    if (!field(row, "key").value) field(row, "key").value = newKey();
  });
  refreshSteps();

  /* ---------- measures ---------- */
  var measuresEditor = form.querySelector("[data-measures-editor]");
  var measureList = measuresEditor.querySelector("[data-measure-list]");
  var emptyMeasures = measuresEditor.querySelector("[data-measures-empty]");

  function refreshMeasures() {
    var rows = measureList.querySelectorAll("[data-measure-row]");
    rows.forEach(function (row, i) {
      renumberNames(row, "measures", i);
      row.querySelector("[data-measure-remove]").setAttribute("aria-label", fmt(gettext("Remove measure %(n)s"), i + 1));
    });
    setTotal("measures", rows.length);
    emptyMeasures.hidden = rows.length > 0;
  }
  measuresEditor.querySelector("[data-measure-add]").addEventListener("click", function () {
    var row = fromTemplate("measure-template");
    measureList.appendChild(row);
    refreshMeasures();
    row.querySelector("input").focus();
    markDirty();
  });
  measureList.addEventListener("click", function (event) {
    var button = event.target.closest("[data-measure-remove]");
    if (!button) return;
    var row = button.closest("[data-measure-row]");
    var next = row.nextElementSibling || row.previousElementSibling;
    row.remove();
    refreshMeasures();
    markDirty();
    (next ? next.querySelector("input") : measuresEditor.querySelector("[data-measure-add]")).focus();
  });
  refreshMeasures();

  /* ---------- local backup: an expired session or a crash loses nothing ---------- */
  var backupKey = "sopdesk-draft:" + form.getAttribute("data-user") + ":" + window.location.pathname;
  var lockInput = form.querySelector('input[name="lock_version"]');

  function formEntries() {
    var entries = [];
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrfmiddlewaretoken") entries.push([name, String(value)]);
    });
    return entries;
  }
  function readBackup() {
    try { return JSON.parse(window.localStorage.getItem(backupKey) || "null"); } catch (e) { return null; }
  }
  function writeBackup(submitted) {
    try {
      window.localStorage.setItem(backupKey, JSON.stringify({
        lock: lockInput.value, at: Date.now(), submitted: !!submitted, entries: formEntries()
      }));
    } catch (e) { /* storage full or disabled: the server copy is all we have */ }
  }
  function dropBackup() { try { window.localStorage.removeItem(backupKey); } catch (e) { /* ignore */ } }

  function setRowCount(list, templateId, selector, count) {
    var rows = list.querySelectorAll(selector);
    for (var i = rows.length; i > count; i--) rows[i - 1].remove();
    for (var j = rows.length; j < count; j++) list.appendChild(fromTemplate(templateId));
  }

  function restore(backup) {
    var values = {};
    backup.entries.forEach(function (entry) { values[entry[0]] = entry[1]; });
    setRowCount(stepList, "step-template", "[data-step-row]", parseInt(values["steps-TOTAL_FORMS"], 10) || 0);
    setRowCount(measureList, "measure-template", "[data-measure-row]", parseInt(values["measures-TOTAL_FORMS"], 10) || 0);
    refreshSteps();
    refreshMeasures();
    form.querySelectorAll("input, textarea, select").forEach(function (el) {
      if (!el.name || el.form !== form || el.name === "csrfmiddlewaretoken" || /TOTAL_FORMS|INITIAL_FORMS/.test(el.name)) return;
      var value = values[el.name];
      if (el.type === "radio") { el.checked = value === el.value; return; }
      if (el.type === "checkbox") { el.checked = value !== undefined; return; }
      if (el.matches("select[data-step-target]")) { el.value = ""; el.setAttribute("data-value", value || ""); return; }
      el.value = value === undefined ? "" : value;
    });
    lockInput.value = backup.lock;  // a save then reports any change made on the server since
    refreshSteps();
    form.querySelectorAll("textarea[data-markdown]").forEach(function (textarea) {
      if (!textarea._preview) watchPreview(textarea); else renderPreview(textarea);
    });
    markDirty();
  }

  function offerRestore(backup) {
    var notice = document.getElementById("restore-notice");
    var when = new Date(backup.at);
    notice.querySelector("[data-restore-time]").textContent = when.toLocaleString();
    notice.hidden = false;
    notice.querySelector("[data-restore]").addEventListener("click", function () {
      restore(backup);
      notice.hidden = true;
      form.querySelector("[data-save]").focus();
    });
    notice.querySelector("[data-discard]").addEventListener("click", function () {
      dropBackup();
      notice.hidden = true;
    });
  }

  var backup = readBackup();
  if (backup) {
    var accepted = backup.submitted && Number(lockInput.value) > Number(backup.lock);
    var same = JSON.stringify(backup.entries.filter(function (e) { return e[0] !== "lock_version"; })) ===
      JSON.stringify(formEntries().filter(function (e) { return e[0] !== "lock_version"; }));
    if (accepted || same) dropBackup(); else offerRestore(backup);
  }
  var backupTimer = null;
  form.addEventListener("input", function (event) {
    if (!ownField(event)) return;
    clearTimeout(backupTimer);
    backupTimer = setTimeout(function () { writeBackup(false); }, 800);
  });

  /* ---------- saving ---------- */
  form.addEventListener("submit", function () {
    refreshSteps();
    refreshMeasures();
    clearTimeout(backupTimer);
    writeBackup(true);
    dirty = false;
  });
})();
