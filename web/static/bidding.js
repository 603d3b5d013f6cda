// The bid pages' live "剩余时间": each .countdown carries the deadline and the server's time
// when the page was made, so a client clock that is off does not move the deadline. The
// server decides at submission; this only informs.
(function () {
  "use strict";
  var spans = document.querySelectorAll(".countdown[data-deadline]");
  if (!spans.length) { return; }
  var loaded = Date.now();
  function text(seconds) {
    if (seconds <= 0) { return "已截止"; }
    var d = Math.floor(seconds / 86400);
    var h = Math.floor((seconds % 86400) / 3600);
    var m = Math.floor((seconds % 3600) / 60);
    var s = Math.floor(seconds % 60);
    return "剩余 " + (d ? d + " 天 " : "") + h + " 小时 " + m + " 分" + (d ? "" : " " + s + " 秒");
  }
  function tick() {
    var elapsed = (Date.now() - loaded) / 1000;
    spans.forEach(function (span) {
      var deadline = Date.parse(span.dataset.deadline);
      var serverNow = Date.parse(span.dataset.serverNow);
      var left = (deadline - serverNow) / 1000 - elapsed;
      span.textContent = text(left);
      span.classList.toggle("countdown-soon", left > 0 && left < 3600);
      span.classList.toggle("countdown-over", left <= 0);
    });
  }
  tick();
  window.setInterval(tick, 1000);
})();
