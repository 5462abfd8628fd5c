"""JavaScript run inside the JupyterLab page by the browser benchmarks."""

# One edit, measured entirely inside the page (no Playwright round trip):
#   t0      performance.now() just before the driver <input> gets its new value and
#           fires 'input' + 'change' (an ipywidgets Text with continuous_update=False
#           sends its value to the kernel on 'change', as on Enter);
#   dom     the last DOM mutation inside any of the target elements caused by the
#           edit (MutationObserver; the edit's burst ends after `quiet` ms without
#           a mutation), i.e. every panel has been updated;
#   first   the first mutation;
#   painted two requestAnimationFrames after the last mutation batch (after
#           decoding any <img> in the targets first, for the PNG baseline).
# Resolves {dom, first, painted, batches, reason}; reason 'timeout' if nothing
# happened within `timeout` ms.
MEASURE_EDIT = r"""
async ([targetSel, inputSel, value, quiet, timeout]) => {
  const targets = Array.from(document.querySelectorAll(targetSel));
  if (!targets.length) throw new Error('no element matches ' + targetSel);
  const input = document.querySelector(inputSel);
  if (!input) throw new Error('no driver input ' + inputSel);
  return await new Promise((resolve) => {
    const rec = { t0: 0, batches: [], painted: [] };
    let quietTimer = null, done = false;
    const finish = (reason) => {
      if (done) return;
      done = true;
      obs.disconnect();
      clearTimeout(hard);
      const n = rec.batches.length;
      const waitPaint = (tries) => {
        if (n === 0 || rec.painted[n - 1] !== undefined || tries <= 0) {
          resolve({ reason, first: n ? rec.batches[0] : null, dom: n ? rec.batches[n - 1] : null,
                    painted: n ? (rec.painted[n - 1] ?? null) : null, batches: rec.batches });
        } else setTimeout(() => waitPaint(tries - 1), 20);
      };
      waitPaint(250);
    };
    const obs = new MutationObserver(() => {
      const t = performance.now() - rec.t0;
      const idx = rec.batches.length;
      rec.batches.push(t);
      const imgs = targets.flatMap(el => Array.from(el.querySelectorAll('img')));
      Promise.all(imgs.map(i => i.decode().catch(() => null))).then(() =>
        requestAnimationFrame(() => requestAnimationFrame(() => {
          rec.painted[idx] = performance.now() - rec.t0;
        })));
      clearTimeout(quietTimer);
      quietTimer = setTimeout(() => finish('quiet'), quiet);
    });
    for (const t of targets)
      obs.observe(t, { subtree: true, childList: true, attributes: true, characterData: true });
    const hard = setTimeout(() => finish(rec.batches.length ? 'quiet-timeout' : 'timeout'), timeout);
    rec.t0 = performance.now();
    input.value = value;
    input.dispatchEvent(new Event('input', { bubbles: true }));
    input.dispatchEvent(new Event('change', { bubbles: true }));
  });
}
"""

# Kernel status in the status bar ("Python 3 (ipykernel) | Idle").
KERNEL_STATUS = '#jp-main-statusbar .jp-StatusBar-TextItem[title^="Change kernel"]'

# Marks cells that showed "[*]" so a finished "Run All" is told from a not-yet-started one.
TRACK_EXECUTION = r"""
() => {
  const nb = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook');
  const state = { started: false };
  window.__cvbRun = state;
  const check = () => {
    for (const p of nb.querySelectorAll('.jp-InputPrompt'))
      if (p.textContent.includes('*')) state.started = true;
  };
  const obs = new MutationObserver(check);
  obs.observe(nb, { subtree: true, childList: true, characterData: true });
  state.stop = () => obs.disconnect();
}
"""

RUN_FINISHED = r"""
() => {
  const s = window.__cvbRun;
  const nb = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook');
  const prompts = Array.from(nb.querySelectorAll('.jp-CodeCell .jp-InputPrompt')).map(p => p.textContent);
  if (prompts.some(t => t.includes('*'))) return false;
  if (!s.started) return false;
  const st = document.querySelector('#jp-main-statusbar .jp-StatusBar-TextItem[title^="Change kernel"]');
  return !!st && /\|\s*Idle\s*$/.test(st.textContent);
}
"""

# For the cold-start measurement: the time of the Shift+Enter keydown (capture
# phase, before JupyterLab sees it) and the time at which `count` elements
# matching `sel` exist (checked on every mutation of the notebook).
ARM_COLD_START = r"""
([sel, count]) => {
  const st = { t0: null, t1: null };
  window.__cvbCold = st;
  const nb = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook');
  const onKey = (e) => {
    if (e.key === 'Enter' && e.shiftKey && st.t0 === null) st.t0 = performance.now();
  };
  document.addEventListener('keydown', onKey, true);
  const obs = new MutationObserver(() => {
    if (st.t0 === null || st.t1 !== null) return;
    if (nb.querySelectorAll(sel).length >= count) {
      st.t1 = performance.now();
      requestAnimationFrame(() => requestAnimationFrame(() => { st.t2 = performance.now(); }));
      obs.disconnect();
      document.removeEventListener('keydown', onKey, true);
    }
  });
  obs.observe(nb, { subtree: true, childList: true, attributes: true });
}
"""
