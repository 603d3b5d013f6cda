// The draw ceremony in the browser (docs/draw-spec.md §3.1): a party's secret is made HERE, on
// the party's own computer, and only its commitment goes to the platform. The commitment is
// SHA-256 of the UTF-8 bytes of JSON.stringify(["market-draw/2/commitment", reference, round,
// role, secret]) — the same bytes as selection.ceremony.commitment in Python (canonical JSON
// of an array of ASCII strings and a small integer is exactly what JSON.stringify writes).
// Nothing here decides anything: the server checks every reveal against the commitment.
(function () {
  "use strict";
  var TAG = "market-draw/2/commitment";
  var HEX64 = /^[0-9a-f]{64}$/;

  function hex(bytes) {
    var out = "";
    for (var i = 0; i < bytes.length; i += 1) {
      out += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
    }
    return out;
  }

  function available() {
    return Boolean(window.crypto && window.crypto.getRandomValues && window.crypto.subtle);
  }

  function newSecret() {
    var bytes = new Uint8Array(32);
    window.crypto.getRandomValues(bytes);
    return hex(bytes);
  }

  function commitment(reference, round, role, secret) {
    var text = JSON.stringify([TAG, reference, round, role, secret]);
    return window.crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)).then(function (digest) {
      return hex(new Uint8Array(digest));
    });
  }

  // The kept file uses the same "secret …" / "commitment …" lines as `python -m selection.secret`,
  // so either one can be loaded on the reveal page.
  function secretFile(section, secret, digest) {
    return [
      "# 韶关市公共资源交易 抽取秘密值（market-draw/2）— 请妥善保管，揭示窗口开放前不要交给任何人",
      "# 平台不保存秘密值：丢失后无法揭示，本方的贡献将不计入抽取。",
      "reference  " + section.dataset.reference,
      "round      " + section.dataset.round,
      "role       " + section.dataset.role,
      "secret     " + secret,
      "commitment " + digest,
      ""
    ].join("\n");
  }

  function secretOfFile(text) {
    var found = /^secret\s+([0-9a-f]{64})\s*$/m.exec(text);
    if (found) { return found[1]; }
    var bare = text.trim();
    return HEX64.test(bare) ? bare : "";
  }

  function show(element, message) {
    if (element) { element.textContent = message; element.hidden = !message; }
  }

  // -- making a commitment (the owner's publish step, a supervisor's commitment page) --------
  function wireCommit(section) {
    var make = section.querySelector(".make-secret");
    var shown = section.querySelector(".secret-shown");
    var download = section.querySelector(".secret-download");
    var kept = section.querySelector(".secret-kept");
    var field = section.querySelector("input.commitment-field");
    var status = section.querySelector(".commit-status");
    var made = null;
    if (!available()) {
      make.disabled = true;
      show(status, "此浏览器不支持 WebCrypto（须通过 HTTPS 访问），请改用下方命令生成承诺值并粘贴。");
      return;
    }
    function fill() {
      if (made && kept.checked) {
        field.value = made.digest;
        show(status, "承诺值已填入。发布后请继续保管秘密值文件，揭示窗口开放后凭它揭示。");
      } else if (made) {
        field.value = "";
        show(status, "请先下载并保存秘密值，勾选确认后承诺值才会填入。");
      }
    }
    make.addEventListener("click", function () {
      var secret = newSecret();
      var round = parseInt(section.dataset.round, 10);
      commitment(section.dataset.reference, round, section.dataset.role, secret).then(function (digest) {
        made = { secret: secret, digest: digest };
        shown.value = secret;
        section.querySelector(".secret-made").hidden = false;
        section.querySelector(".commitment-shown").textContent = digest;
        if (download.href) { URL.revokeObjectURL(download.href); }
        var file = new Blob([secretFile(section, secret, digest)], { type: "text/plain;charset=utf-8" });
        download.href = URL.createObjectURL(file);
        kept.checked = false;
        fill();
      });
    });
    kept.addEventListener("change", fill);
  }

  // -- revealing (the reveal page): load the kept file, say whether it matches ----------------
  function wireReveal(form) {
    var field = form.querySelector("input.secret-field, textarea.secret-field");
    var file = form.querySelector("input.secret-file");
    var status = form.querySelector(".reveal-status");
    function check() {
      var secret = field.value.trim();
      if (!available() || !HEX64.test(secret)) { show(status, ""); return; }
      var round = parseInt(form.dataset.round, 10);
      commitment(form.dataset.reference, round, form.dataset.role, secret).then(function (digest) {
        show(status, digest === form.dataset.commitment ? "与承诺值一致，可以揭示。" : "与承诺值不符：请检查是否为本项目、本轮、本角色的秘密值。");
      });
    }
    if (file) {
      file.addEventListener("change", function () {
        if (!file.files.length) { return; }
        file.files[0].text().then(function (text) {
          var secret = secretOfFile(text);
          if (secret) { field.value = secret; check(); } else { show(status, "文件中没有找到秘密值（64 位小写十六进制）。"); }
        });
      });
    }
    field.addEventListener("input", check);
  }

  window.marketDraw = { commitment: commitment, newSecret: newSecret, secretOfFile: secretOfFile };
  document.querySelectorAll(".draw-commit").forEach(wireCommit);
  document.querySelectorAll("form.draw-reveal").forEach(wireReveal);
})();
