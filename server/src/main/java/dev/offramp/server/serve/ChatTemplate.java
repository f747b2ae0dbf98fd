package dev.offramp.server.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.offramp.model.io.GgufFile;
import dev.offramp.model.io.GgufMetadata;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Turns OpenAI chat {@code messages} into one prompt string. There is no Jinja engine here, so, as llama.cpp's
 * {@code llm_chat_detect_template} does, the model's {@code chat_template} is only used to detect its family by
 * characteristic markers, and that family is rendered in Java: ChatML ({@code <|im_start|>}), Llama 3
 * ({@code <|start_header_id|>}), Llama 2 ({@code [INST]}, Mistral's too) and Zephyr ({@code <|user|>}). Every
 * rendering ends with the cue for the assistant's reply; "developer" messages are rendered as "system".
 *
 * <p>A model without a chat template (a llama2.c {@code .bin}, a folder without one) uses the plain template, and so
 * does a template of an unrecognised family ({@link #name()} then says so). The plain template writes each message
 * as one {@code {Role}: {content}} line, the role capitalised ("developer" written as "System"), then the cue
 * {@code Assistant:} with no trailing space:
 * <pre>
 * System: {content}
 * User: {content}
 * Assistant: {content}
 * User: {content}
 * Assistant:</pre>
 *
 * <p>No rendering starts with BOS ({@code <|begin_of_text|>}, {@code <s>}), although the Llama templates do: the
 * server's tokenizer adds BOS itself ({@code addSpecialTokens}), so a rendered one would be doubled (llama.cpp omits
 * it for the same reason). Immutable and thread-safe.
 */
public final class ChatTemplate {
    private static final String GGUF_TEMPLATE = "tokenizer.chat_template";
    private static final String UNRECOGNISED = "plain (unrecognised chat_template)";

    private enum Family { CHATML, LLAMA3, LLAMA2, ZEPHYR, PLAIN }

    private final Family family;
    private final String name;

    private ChatTemplate(Family family, String name) {
        this.family = family;
        this.name = name;
    }

    /** The documented plain template. */
    public static ChatTemplate plain() {
        return new ChatTemplate(Family.PLAIN, "plain");
    }

    /** The template for a Jinja chat template's text; null or blank means the model has none. */
    public static ChatTemplate of(String template) {
        if (template == null || template.isBlank()) {
            return plain();
        }
        Family family = detect(template);
        return new ChatTemplate(family, family == Family.PLAIN ? UNRECOGNISED : family.name().toLowerCase(Locale.ROOT));
    }

    /**
     * The template of a model: for a Hugging Face folder, {@code chat_template.jinja} if present (it takes precedence
     * in transformers), else the {@code chat_template} field of {@code tokenizer_config.json}, else none; for a
     * {@code .gguf} file its {@code tokenizer.chat_template}, else none; for another file (llama2.c {@code .bin}) the
     * plain template.
     *
     * @throws IllegalArgumentException naming the file when it cannot be read or is malformed
     */
    public static ChatTemplate forModel(Path modelPath) {
        if (Files.isRegularFile(modelPath) && modelPath.toString().endsWith(".gguf")) {
            GgufMetadata md = GgufFile.open(modelPath).metadata();
            return md.has(GGUF_TEMPLATE) ? of(md.string(GGUF_TEMPLATE)) : plain();
        }
        if (!Files.isDirectory(modelPath)) {
            return plain();
        }
        Path jinja = modelPath.resolve("chat_template.jinja");
        if (Files.isRegularFile(jinja)) {
            try {
                return of(Files.readString(jinja));
            } catch (IOException e) {
                throw new IllegalArgumentException(jinja + ": cannot read: " + e.getMessage(), e);
            }
        }
        Path config = modelPath.resolve("tokenizer_config.json");
        return Files.isRegularFile(config) ? of(templateIn(config)) : plain();
    }

    /** "chatml", "llama3", "llama2", "zephyr", "plain", or "plain (unrecognised chat_template)". */
    public String name() {
        return name;
    }

    /**
     * The prompt for {@code messages}, ending with the assistant's cue.
     *
     * @throws IllegalArgumentException ("messages…: expected …, found …") when the list is empty, ends with an
     *     assistant message (continuing one is not supported), or breaks the Llama 2 turn order
     */
    public String render(List<Message> messages) {
        if (messages.isEmpty()) {
            throw new IllegalArgumentException("messages: expected at least one message, found none");
        }
        int last = messages.size() - 1;
        if (messages.get(last).role().equals("assistant")) {
            throw new IllegalArgumentException("messages[" + last + "].role: expected the last message to be from"
                    + " system, user or developer (continuing an assistant message is not supported),"
                    + " found 'assistant'");
        }
        StringBuilder out = new StringBuilder();
        switch (family) {
            case CHATML -> {
                messages.forEach(m -> out.append("<|im_start|>").append(m.templateRole()).append('\n')
                        .append(m.content()).append("<|im_end|>\n"));
                out.append("<|im_start|>assistant\n");
            }
            case LLAMA3 -> {
                // The Llama 3 template trims each content (`| trim`).
                messages.forEach(m -> out.append("<|start_header_id|>").append(m.templateRole())
                        .append("<|end_header_id|>\n\n").append(m.content().strip()).append("<|eot_id|>"));
                out.append("<|start_header_id|>assistant<|end_header_id|>\n\n");
            }
            case LLAMA2 -> llama2(messages, out);
            case ZEPHYR -> {
                // zephyr-7b-beta's eos_token is </s>; the template writes it after every message.
                messages.forEach(m -> out.append("<|").append(m.templateRole()).append("|>\n")
                        .append(m.content()).append("</s>\n"));
                out.append("<|assistant|>\n");
            }
            case PLAIN -> {
                messages.forEach(m -> out.append(capitalised(m.templateRole())).append(": ")
                        .append(m.content()).append('\n'));
                out.append("Assistant:");
            }
        }
        return out.toString();
    }

    /**
     * Llama-2-chat: {@code [INST] <<SYS>>\n{system}\n<</SYS>>\n\n{user} [/INST] {assistant} </s><s>[INST] {user}
     * [/INST]}. As in Meta's template, the system prompt is folded into the next user turn, contents are stripped,
     * and user and assistant must alternate (the template raises otherwise); later system messages fold likewise.
     */
    private static void llama2(List<Message> messages, StringBuilder out) {
        String system = null;
        boolean expectUser = true;
        for (int i = 0; i < messages.size(); i++) {
            Message m = messages.get(i);
            switch (m.templateRole()) {
                case "system" -> system = system == null ? m.content() : system + "\n\n" + m.content();
                case "user" -> {
                    requireTurn(i, m, expectUser);
                    String content = system == null ? m.content()
                            : "<<SYS>>\n" + system + "\n<</SYS>>\n\n" + m.content();
                    out.append(out.length() > 0 ? "<s>[INST] " : "[INST] ")
                            .append(content.strip()).append(" [/INST]");
                    system = null;
                    expectUser = false;
                }
                default -> {
                    requireTurn(i, m, !expectUser);
                    out.append(' ').append(m.content().strip()).append(" </s>");
                    expectUser = true;
                }
            }
        }
        if (system != null) {
            throw new IllegalArgumentException("messages[" + (messages.size() - 1) + "]: expected a user message after"
                    + " this system message (the llama2 template folds system prompts into the next user turn),"
                    + " found the end of the list");
        }
    }

    private static void requireTurn(int index, Message m, boolean ok) {
        if (!ok) {
            String expected = m.role().equals("user") ? "assistant" : "user";
            throw new IllegalArgumentException("messages[" + index + "].role: expected '" + expected
                    + "' (the llama2 template alternates user and assistant turns), found '" + m.role() + "'");
        }
    }

    /** Family by characteristic markers, most specific first; lookalikes that render differently stay unrecognised. */
    private static Family detect(String t) {
        if (t.contains("<|im_start|>")) {
            // Phi-4 puts <|im_sep|> where ChatML has a newline.
            return t.contains("<|im_sep|>") ? Family.PLAIN : Family.CHATML;
        }
        if (t.contains("<|start_header_id|>") && t.contains("<|end_header_id|>")) {
            return Family.LLAMA3;
        }
        if (t.contains("[INST]")) {
            return Family.LLAMA2;
        }
        if (t.contains("<|user|>") && t.contains("<|assistant|>")) {
            // Phi-3 ends turns with <|end|>, GLM-4 starts with [gMASK]: same role tags, different text.
            return t.contains("<|end|>") || t.contains("[gMASK]") ? Family.PLAIN : Family.ZEPHYR;
        }
        return Family.PLAIN;
    }

    /** The {@code chat_template} of a JSON file: a string, or [{name, template}] (take "default", else the first). */
    private static String templateIn(Path file) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (JsonProcessingException e) {
            var at = e.getLocation();
            throw new IllegalArgumentException(file + ": malformed JSON: " + e.getOriginalMessage()
                    + (at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr()), e);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(file + ": expected a JSON object, found " + kind(root));
        }
        JsonNode t = root.path("chat_template");
        if (t.isMissingNode() || t.isNull()) {
            return null;
        }
        if (t.isTextual()) {
            return t.textValue();
        }
        if (!t.isArray()) {
            throw new IllegalArgumentException(file + ": chat_template: expected a string or an array of"
                    + " {name, template} objects, found " + kind(t));
        }
        JsonNode chosen = t.path(0);
        for (JsonNode entry : t) {
            chosen = "default".equals(entry.path("name").asText(null)) ? entry : chosen;
        }
        if (chosen.isMissingNode()) {
            return null;
        }
        JsonNode template = chosen.path("template");
        if (!template.isTextual()) {
            throw new IllegalArgumentException(file + ": chat_template: expected the template of entry '"
                    + chosen.path("name").asText("?") + "' to be a string, found " + kind(template));
        }
        return template.textValue();
    }

    private static String kind(JsonNode n) {
        return n == null || n.isMissingNode() ? "nothing" : n.isNull() ? "null" : n.isArray() ? "an array"
                : n.isObject() ? "an object" : "a " + n.getNodeType().toString().toLowerCase(Locale.ROOT) + " " + n;
    }

    private static String capitalised(String role) {
        return Character.toUpperCase(role.charAt(0)) + role.substring(1);
    }

    /** One chat message; {@code role} is system, user, assistant or developer (OpenAI's newer name for system). */
    public record Message(String role, String content) {
        private static final List<String> ROLES = List.of("system", "user", "assistant", "developer");

        public Message {
            check("", role, content);
        }

        /** A message at {@code messages[index]}, whose errors name that position. */
        public static Message of(int index, String role, String content) {
            check("messages[" + index + "].", role, content);
            return new Message(role, content);
        }

        /** The role as templates know it: "developer" is rendered as "system", as OpenAI does. */
        public String templateRole() {
            return role.equals("developer") ? "system" : role;
        }

        private static void check(String where, String role, String content) {
            if (role == null || !ROLES.contains(role)) {
                throw new IllegalArgumentException(where + "role: expected one of system, user, assistant, developer,"
                        + " found " + (role == null ? "null" : "'" + role + "'"));
            }
            if (content == null) {
                throw new IllegalArgumentException(where + "content: expected a string, found null");
            }
        }
    }
}
