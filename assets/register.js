// The sign-up form checks each field as it is typed, with the server's rules (the server
// checks again): GB 11643 for the ID number, a mainland mobile number, an email address and
// a password of 8+ characters mixing two kinds.
(function () {
  'use strict';
  var form = document.getElementById('register');
  if (!form) return;

  function idNumberProblem(v) {
    v = v.trim().toUpperCase();
    if (!/^\d{17}[\dX]$/.test(v)) return '身份证号码应为 18 位，最后一位可以是数字或 X。';
    var y = +v.slice(6, 10), m = +v.slice(10, 12), d = +v.slice(12, 14);
    var born = new Date(Date.UTC(y, m - 1, d));
    if (born.getUTCFullYear() !== y || born.getUTCMonth() !== m - 1 || born.getUTCDate() !== d ||
        y < 1900 || born > new Date()) return '身份证号码中的出生日期无效。';
    var weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    var sum = 0;
    for (var i = 0; i < 17; i++) sum += (+v[i]) * weights[i];
    if ('10X98765432'[sum % 11] !== v[17]) return '身份证号码校验位不正确，请逐位核对。';
    return '';
  }
  function phoneProblem(v) {
    var digits = v.replace(/[\s-]/g, '').replace(/^\+86/, '');
    return /^1[3-9]\d{9}$/.test(digits) ? '' : '手机号码应为 11 位中国大陆手机号。';
  }
  function emailProblem(v) {
    return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v.trim()) && v.trim().length <= 254 ? '' : '电子邮箱格式有误。';
  }
  function passwordProblem(v) {
    if (v.length < 8) return '密码至少 8 位。';
    if (v.length > 128) return '密码最多 128 位。';
    var kinds = [/[A-Za-z]/, /\d/, /[^A-Za-z\d]/].filter(function (r) { return r.test(v); }).length;
    return kinds >= 2 ? '' : '密码须包含字母、数字、符号中的至少两种。';
  }
  function nameProblem(v) {
    return v.trim() && v.trim().length <= 50 ? '' : '请填写姓名（最多 50 个字）。';
  }
  var checks = { name: nameProblem, id_number: idNumberProblem, phone: phoneProblem, email: emailProblem, password: passwordProblem };

  function check(input, quietIfEmpty) {
    var problem = checks[input.name](input.value);
    var msg = document.getElementById(input.name + '-msg');
    if (quietIfEmpty && !input.value) problem = '';
    input.setAttribute('aria-invalid', problem ? 'true' : 'false');
    msg.textContent = problem || (input.value ? '✓' : msg.getAttribute('data-hint') || '');
    msg.classList.toggle('bad', !!problem);
    return !problem;
  }
  Object.keys(checks).forEach(function (name) {
    var input = form.elements[name];
    var msg = document.getElementById(name + '-msg');
    msg.setAttribute('data-hint', msg.textContent);
    input.addEventListener('input', function () { check(input, true); });
    input.addEventListener('blur', function () { check(input, true); });
  });
  form.addEventListener('submit', function (event) {
    var firstBad = null;
    Object.keys(checks).forEach(function (name) {
      if (!check(form.elements[name], false) && !firstBad) firstBad = form.elements[name];
    });
    if (firstBad) {
      event.preventDefault();
      firstBad.focus();
    }
  });
  // A refusal from the server points at its field.
  var refused = document.querySelector('[data-error-field]');
  if (refused && form.elements[refused.getAttribute('data-error-field')]) {
    form.elements[refused.getAttribute('data-error-field')].setAttribute('aria-invalid', 'true');
  }
})();
