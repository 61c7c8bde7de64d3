// Question answering tab: the answer highlighted inside the context, with its score.

import { el } from '../ui.js';
import { checkText, makeTab, textArea } from './common.js';

/** Below this score the answer is shown with a warning. */
export const LOW_SCORE = 0.1;

const CONTEXT = 'Super Bowl 50 was an American football game to determine the champion of the National Football League (NFL) ' +
  'for the 2015 season. The American Football Conference (AFC) champion Denver Broncos defeated the National Football ' +
  'Conference (NFC) champion Carolina Panthers 24–10 to earn their third Super Bowl title. The game was played on ' +
  'February 7, 2016, at Levi\'s Stadium in the San Francisco Bay Area at Santa Clara, California.';

/** @param {any} result {answer, score, start, end} (or a list, best first) @param {{context: string}} input */
export function renderQa(result, input) {
  const best = Array.isArray(result) ? result[0] : result;
  if (!best || !(best.end > best.start) || best.answer === '') {
    return { node: el('p', { class: 'empty', 'data-result': 'qa' }, 'No answer found in the context.'),
      warning: 'The model found no answer to this question in the context.' };
  }
  const { context } = input;
  const node = el('div', { class: 'qa', 'data-result': 'qa' },
    el('p', { class: 'headline' }, el('span', { class: 'answer' }, best.answer), ` score ${best.score.toFixed(4)}`),
    el('p', { class: 'qa-context' }, context.slice(0, best.start),
      el('mark', { class: 'answer-span', 'data-start': best.start, 'data-end': best.end }, context.slice(best.start, best.end)),
      context.slice(best.end)));
  const warning = best.score < LOW_SCORE
    ? `Low confidence (score ${best.score.toFixed(4)}): the context may not contain the answer to this question.` : undefined;
  return { node, warning };
}

/** What the Explain panel offers: the start or end score of the best span (js/explain/targets.js). */
export const qaExplain = {
  texts: (/** @type {{question: string, context: string}} */ input) => ({ texts: [input.question, input.context], names: ['Question', 'Context'] }),
  targets: () => ({
    label: 'Explain', value: 'start',
    groups: [{ options: [
      { value: 'start', text: 'the answer\'s start score', request: { target: 'start' } },
      { value: 'end', text: 'the answer\'s end score', request: { target: 'end' } }] }],
  }),
};

/** @param {any} ctx */
export function createQaTab(ctx) {
  const q = textArea('Question', 'question', 'Which team won Super Bowl 50?', 1);
  const c = textArea('Context', 'context', CONTEXT, 5);
  const impossible = /** @type {HTMLInputElement} */ (el('input', { type: 'checkbox', name: 'handle_impossible_answer', checked: true }));
  return makeTab(ctx, {
    id: 'qa', label: 'Question answering', task: 'question-answering', modelTask: 'question-answering', defaultModel: 'bert-mini-squad',
    intro: 'Extracts the answer to a question from a context (SQuAD; a small model trained on few articles).',
    fields: () => [q.field, c.field, el('label', { class: 'check' }, impossible,
      ' Allow "no answer" (when the model prefers [CLS] to every span; handle_impossible_answer)')],
    input: () => ({ question: q.area.value, context: c.area.value }),
    validate: ({ question, context }) => checkText(question, 'question') ?? checkText(context, 'context'),
    options: () => ({ handle_impossible_answer: impossible.checked }),
    render: (result, input) => renderQa(result, input),
    explain: qaExplain,
  });
}
