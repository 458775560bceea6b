// Relais behaviour that needs script. No inline script anywhere: the CSP forbids it.
document.addEventListener("DOMContentLoaded", () => {
  // Buttons with data-confirm ask before submitting their form.
  document.querySelectorAll("[data-confirm]").forEach((element) => {
    element.addEventListener("click", (event) => {
      if (!window.confirm(element.dataset.confirm)) event.preventDefault();
    });
  });
  // Copy-to-clipboard for one-time secrets (API tokens).
  document.querySelectorAll("[data-copy-target]").forEach((button) => {
    button.addEventListener("click", () => {
      const target = document.getElementById(button.dataset.copyTarget);
      if (target) navigator.clipboard.writeText(target.textContent.trim());
    });
  });
});

// Repeatable form rows (a bid's pricing lines): "Add a line" copies the last row,
// emptied, with the next index in its field names. Without script the form
// still offers one empty row, so the button stays hidden until script shows it.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-repeat-add]").forEach((button) => {
    const body = document.querySelector(`[data-repeat="${button.dataset.repeatAdd}"]`);
    if (!body) return;
    button.classList.remove("d-none");
    button.addEventListener("click", () => {
      const rows = body.querySelectorAll("[data-repeat-row]");
      if (!rows.length) return;
      let next = 0;
      body.querySelectorAll("[name]").forEach((element) => {
        const match = element.name.match(/-(\d+)-/);
        if (match) next = Math.max(next, Number(match[1]) + 1);
      });
      const copy = rows[rows.length - 1].cloneNode(true);
      copy.querySelectorAll("input, select, textarea, label").forEach((element) => {
        for (const attribute of ["name", "id", "for"]) {
          const value = element.getAttribute(attribute);
          if (value) element.setAttribute(attribute, value.replace(/-\d+-/, `-${next}-`));
        }
        if (element.tagName === "SELECT") element.selectedIndex = 0;
        else if (element.tagName !== "LABEL") element.value = "";
        element.classList.remove("is-invalid");
      });
      copy.querySelectorAll(".invalid-feedback").forEach((element) => element.remove());
      body.appendChild(copy);
    });
  });
});
