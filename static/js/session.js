/* SOP Desk, every page: logging out forgets the draft editor's local backups, so the next person
 * at a shared computer of the floor cannot read them. (A session that merely expires keeps them:
 * that is what the backup is for.) */
(function () {
  "use strict";
  var logout = document.querySelector("form[data-logout]");
  if (!logout) return;
  logout.addEventListener("submit", function () {
    try {
      var stale = [];
      for (var i = 0; i < window.localStorage.length; i++) {
        var key = window.localStorage.key(i);
        if (key && key.indexOf("sopdesk-draft:") === 0) stale.push(key);
      }
      stale.forEach(function (key) { window.localStorage.removeItem(key); });
    } catch (e) { /* storage unavailable: nothing was kept */ }
  });
})();
