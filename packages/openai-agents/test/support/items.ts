/** SDK history items of every common shape, as a run produces them or a user writes them. */
import type { AgentInputItem } from '@openai/agents-core';

/** A user message with plain text content. */
export function userText(text: string): AgentInputItem {
  return { role: 'user', content: text };
}

/** One item of each kind the runner persists, with ids, nesting, unicode and provider data. */
export function sampleItems(): AgentInputItem[] {
  return [
    { role: 'system', content: 'Be brief.' },
    {
      type: 'message',
      role: 'user',
      content: [
        { type: 'input_text', text: 'Qu’est-ce que c’est ? 🌦️ "quoted" \\ back' },
        { type: 'input_image', image: 'data:image/png;base64,iVBORw0KGgo=', detail: 'low' },
      ],
    },
    {
      type: 'reasoning',
      id: 'rs_1',
      content: [{ type: 'input_text', text: 'The user asks about the weather.' }],
      providerData: { encrypted: 'gAAAA', nested: { list: [1, 2.5, null, true, ''] } },
    },
    {
      type: 'function_call',
      id: 'fc_1',
      callId: 'call:1*{x}',
      name: 'get_weather',
      arguments: '{"city":"Paris"}',
      status: 'completed',
    },
    {
      type: 'function_call_result',
      callId: 'call:1*{x}',
      name: 'get_weather',
      status: 'completed',
      output: { type: 'text', text: 'sunny' },
    },
    {
      type: 'message',
      id: 'msg_1',
      role: 'assistant',
      status: 'completed',
      content: [{ type: 'output_text', text: 'Sunny in Paris.' }],
    },
    { type: 'compaction', id: 'cmp_1', encrypted_content: 'opaque-summary' },
  ];
}
