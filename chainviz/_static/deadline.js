// chainviz, before every one of its anywidget modules: a longer start-up deadline for models.
//
// anywidget 0.11 gives each model 2 s from its creation to load and initialize its module
// (its Runtime calls AbortSignal.timeout(2000)); after that it rejects the model's `ready`,
// and every later message from the kernel to that model is dropped (AnyModel's
// _handle_comm_msg awaits `ready`): the widget stays as first drawn and never updates. On a
// busy page - a lesson's Run All with six explorers while plotly.js compiles, on 2 cores -
// models missed it ("[anywidget] Failed to initialize model."). anywidget is the only code on
// these pages (JupyterLab 4.6, Notebook 7, Voilà 0.5) that asks for a 2000 ms timeout signal,
// so such a signal gets 60 s instead: a module that truly never loads still fails, loudly.
// It protects every model created after the first chainviz module has run on the page.
if (!AbortSignal.timeout.chainviz) {
  const timeout = AbortSignal.timeout.bind(AbortSignal);
  const longer = (ms) => timeout(ms === 2000 ? 60000 : ms);
  longer.chainviz = true;
  AbortSignal.timeout = longer;
}
