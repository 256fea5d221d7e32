// The password-setup form: posts the token from the mailed link with the new password.
const token = new URLSearchParams(location.search).get("token") || "";
document.getElementById("f").addEventListener("submit", async (e) => {
  e.preventDefault();
  const msg = document.getElementById("msg");
  const p1 = document.getElementById("p1").value, p2 = document.getElementById("p2").value;
  if (p1 !== p2) { msg.textContent = "两次输入的密码不一致"; return; }
  const r = await fetch("/api/v1/auth/password-setup", {method: "POST",
    headers: {"content-type": "application/json"}, body: JSON.stringify({token, password: p1})});
  const body = await r.json().catch(() => ({}));
  msg.textContent = r.ok ? "密码已设置，请使用手机号或邮箱登录。" : (body.message || "设置失败，请稍后重试");
});
