// The django-otp-webauthn scripts call gettext(): answer with the French messages the page carries
// (#cmer-passkey-messages, from cmer/accounts/passkeys.py), and go on once a passkey is registered.
(function () {
  "use strict";
  var element = document.getElementById("cmer-passkey-messages");
  var messages = element ? JSON.parse(element.textContent) : {};
  window.gettext = function (msgid) {
    return messages[msgid] || msgid;
  };
  document.addEventListener("otp_webauthn.register_complete", function (event) {
    var answer = event.detail && event.detail.response;
    if (answer && answer.redirect_url) {
      window.location.assign(answer.redirect_url);
    }
  });
})();
