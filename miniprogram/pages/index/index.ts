Component({
  data: { title: 'AI 问答' },
});
