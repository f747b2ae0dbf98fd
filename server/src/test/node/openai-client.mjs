// The official `openai` npm client against a running Offramp server: what a real user's code does, end to end.
//
//   node server/src/test/node/openai-client.mjs http://127.0.0.1:8080/v1 stories260K.bin
//
// Prints one JSON line per check ({"check":"completion","ok":true,...}); stops at the first failure with a line
// {"check":…,"ok":false,"error":…} and exit status 1 (2 for a usage error). Run by RealClientsTest; needs
// `npm ci --prefix server/src/test/node` first.
import OpenAI, { NotFoundError } from "openai";

const [baseURL, model] = process.argv.slice(2);
if (!baseURL || !model) {
  console.error("usage: node openai-client.mjs BASE_URL MODEL_ID   (e.g. http://127.0.0.1:8080/v1 stories260K.bin)");
  process.exit(2);
}

// No retries: a failure should show the first response, not the third. The key is required by the client, unused here.
const client = new OpenAI({ baseURL, apiKey: "unused", maxRetries: 0, timeout: 60_000 });

class CheckFailed extends Error {}

function expect(condition, message, ...got) {
  if (!condition) {
    throw new CheckFailed(got.length === 0 ? message : `${message}; got ${JSON.stringify(got[0]) ?? "undefined"}`);
  }
}

async function check(name, body) {
  try {
    const details = await body();
    console.log(JSON.stringify({ check: name, ok: true, ...details }));
  } catch (err) {
    const error = err instanceof CheckFailed ? err.message : `${err?.constructor?.name ?? "Error"}: ${err?.message ?? err}`;
    const extra = err?.status === undefined ? {} : { status: err.status, body: err.error };
    console.log(JSON.stringify({ check: name, ok: false, error, ...extra }));
    console.error(`openai-client: check "${name}" failed: ${error}`);
    process.exit(1);
  }
}

const PROMPT = "Once upon a time";
const MESSAGES = [
  { role: "system", content: "You tell stories." },
  { role: "user", content: "Tell me a story." },
];
const FINISH = new Set(["stop", "length"]);

/** A request for a model the server does not serve must be the client's NotFoundError naming that model. */
async function expectNotFound(request) {
  let thrown;
  try {
    await request();
  } catch (err) {
    thrown = err;
  }
  expect(thrown !== undefined, "expected the request for model no-such-model to fail; it succeeded");
  expect(thrown instanceof NotFoundError,
      `expected the client's NotFoundError, found ${thrown?.constructor?.name}: ${thrown?.message}`);
  expect(thrown.status === 404, "expected status 404", thrown.status);
  const message = thrown.error?.message ?? thrown.message;
  expect(typeof message === "string" && message.includes("no-such-model"),
      "expected the error message to name the model no-such-model", message);
  return { status: thrown.status, message, type: thrown.type ?? null, code: thrown.code ?? null };
}

// (a) completions, whole
let completionText;
await check("completion", async () => {
  const r = await client.completions.create({ model, prompt: PROMPT, max_tokens: 16, temperature: 0 });
  expect(r.object === "text_completion", "expected object text_completion", r.object);
  expect(Array.isArray(r.choices) && r.choices.length === 1, "expected one choice", r.choices);
  const choice = r.choices[0];
  expect(typeof choice.text === "string", "expected choices[0].text to be a string", choice.text);
  expect(FINISH.has(choice.finish_reason), "expected finish_reason stop or length", choice.finish_reason);
  expect(r.usage?.completion_tokens > 0, "expected usage.completion_tokens > 0", r.usage);
  completionText = choice.text;
  return { text: choice.text, finish_reason: choice.finish_reason, usage: r.usage };
});

// (a') completions, streamed through the client's SSE reader: the same greedy text
await check("completion_stream", async () => {
  const stream = await client.completions.create({ model, prompt: PROMPT, max_tokens: 16, temperature: 0, stream: true });
  let text = "";
  let chunks = 0;
  let finish = null;
  for await (const chunk of stream) {
    chunks++;
    for (const c of chunk.choices ?? []) {
      text += c.text ?? "";
      finish = c.finish_reason ?? finish;
    }
  }
  expect(chunks > 0, "expected at least one chunk");
  expect(text === completionText, `expected the streamed text to equal the whole one ${JSON.stringify(completionText)}`, text);
  expect(FINISH.has(finish), "expected a chunk with finish_reason stop or length", finish);
  return { chunks, finish_reason: finish };
});

// (e) models list
await check("models", async () => {
  const ids = [];
  for await (const m of client.models.list()) {
    ids.push(m.id);
  }
  expect(ids.includes(model), `expected the model list to contain ${model}`, ids);
  return { ids };
});

// (d) an unknown model: 404 as the client's NotFoundError
await check("not_found", () => expectNotFound(() =>
    client.completions.create({ model: "no-such-model", prompt: PROMPT, max_tokens: 4 })));

// (b) chat completions, whole
let chat;
await check("chat", async () => {
  const r = await client.chat.completions.create({ model, messages: MESSAGES, max_tokens: 16, temperature: 0 });
  expect(r.object === "chat.completion", "expected object chat.completion", r.object);
  expect(Array.isArray(r.choices) && r.choices.length === 1, "expected one choice", r.choices);
  const choice = r.choices[0];
  expect(choice.message?.role === "assistant", "expected choices[0].message.role assistant", choice.message);
  expect(typeof choice.message.content === "string", "expected choices[0].message.content to be a string",
      choice.message.content);
  expect(FINISH.has(choice.finish_reason), "expected finish_reason stop or length", choice.finish_reason);
  expect(r.usage?.completion_tokens > 0, "expected usage.completion_tokens > 0", r.usage);
  chat = { content: choice.message.content, finish_reason: choice.finish_reason, usage: r.usage };
  return chat;
});

// (c) chat completions, streamed with usage: the same greedy text, usage on the final chunk
await check("chat_stream", async () => {
  const stream = await client.chat.completions.create({
    model, messages: MESSAGES, max_tokens: 16, temperature: 0, stream: true, stream_options: { include_usage: true },
  });
  let text = "";
  let chunks = 0;
  let finish = null;
  let role = null;
  let last;
  for await (const chunk of stream) {
    chunks++;
    last = chunk;
    expect(chunk.object === "chat.completion.chunk", "expected object chat.completion.chunk", chunk.object);
    for (const c of chunk.choices ?? []) {
      role = c.delta?.role ?? role;
      text += c.delta?.content ?? "";
      finish = c.finish_reason ?? finish;
    }
  }
  expect(chunks > 0, "expected at least one chunk");
  expect(role === "assistant", "expected a delta with role assistant", role);
  expect(FINISH.has(finish), "expected a chunk with finish_reason stop or length", finish);
  expect(last.usage?.completion_tokens > 0, "expected the final chunk to carry usage.completion_tokens > 0", last);
  expect(text === chat.content, `expected the streamed text to equal the whole one ${JSON.stringify(chat.content)}`, text);
  expect(finish === chat.finish_reason, `expected finish_reason ${chat.finish_reason} as unstreamed`, finish);
  expect(last.usage.completion_tokens === chat.usage.completion_tokens,
      `expected usage.completion_tokens ${chat.usage.completion_tokens} as unstreamed`, last.usage);
  return { chunks, finish_reason: finish, usage: last.usage };
});

// (d) on the chat route too
await check("chat_not_found", () => expectNotFound(() =>
    client.chat.completions.create({ model: "no-such-model", messages: MESSAGES, max_tokens: 4 })));

console.log(JSON.stringify({ check: "all", ok: true }));
