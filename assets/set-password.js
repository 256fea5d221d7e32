// The password-setup form: posts the token from the mailed link with the new password.
(function () {
  'use strict';
  var token = new URLSearchParams(location.search).get('token') || '';
  var msg = document.getElementById('msg');
  document.getElementById('f').addEventListener('submit', function (e) {
    e.preventDefault();
    var p1 = document.getElementById('p1').value, p2 = document.getElementById('p2').value;
    if (p1 !== p2) { msg.textContent = '两次输入的密码不一致。'; return; }
    fetch('/api/v1/auth/password-setup', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token: token, password: p1 })
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) {
        if (r.ok) { msg.textContent = '密码已设置，请使用手机号或邮箱登录。'; return; }
        msg.textContent = body.field === 'token'
          ? '链接无效、已使用或已过期，请重新申请。'
          : body.field === 'password'
            ? '密码至少 8 位，且包含字母、数字、符号中的至少两种。'
            : '设置失败，请稍后重试。';
      });
    }).catch(function () { msg.textContent = '网络中断，请稍后重试。'; });
  });
})();
