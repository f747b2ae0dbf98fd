package dev.offramp.server.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.offramp.server.serve.ChatTemplate;
import dev.offramp.server.serve.ChatTemplate.Message;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Family detection from real chat templates (abridged where long) and renderings checked against what Jinja renders
 * for those templates with {@code add_generation_prompt=True}, less the leading BOS the tokenizer adds itself.
 */
class ChatTemplateTest {
    // Qwen2-Instruct's template.
    static final String QWEN2 = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
            + "{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}{{'<|im_start|>' + "
            + "message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
    // Meta-Llama-3-8B-Instruct's template.
    static final String LLAMA3 = "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
            + "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + "
            + "'<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}"
            + "{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}"
            + "{% endif %}";
    // Llama-2-7b-chat-hf's template, abridged.
    static final String LLAMA2 = "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}"
            + "{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% endif %}"
            + "{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + "
            + "'\\n<</SYS>>\\n\\n' + message['content'] %}{% endif %}{% if message['role'] == 'user' %}"
            + "{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}"
            + "{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";
    // zephyr-7b-beta's template.
    static final String ZEPHYR = "{% for message in messages %}\n{% if message['role'] == 'user' %}\n"
            + "{{ '<|user|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n"
            + "{{ '<|system|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n"
            + "{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n"
            + "{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}";

    static final List<Message> CHAT = List.of(
            new Message("system", "You are terse."),
            new Message("user", "Hi"),
            new Message("assistant", "Hello!"),
            new Message("user", "Tell me a story."));

    static Stream<Arguments> families() {
        return Stream.of(
                Arguments.of(QWEN2, "chatml", "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi"
                        + "<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\nTell me a story."
                        + "<|im_end|>\n<|im_start|>assistant\n"),
                Arguments.of(LLAMA3, "llama3", "<|start_header_id|>system<|end_header_id|>\n\nYou are terse.<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant"
                        + "<|end_header_id|>\n\nHello!<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n"
                        + "Tell me a story.<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"),
                Arguments.of(LLAMA2, "llama2", "[INST] <<SYS>>\nYou are terse.\n<</SYS>>\n\nHi [/INST] Hello! </s>"
                        + "<s>[INST] Tell me a story. [/INST]"),
                Arguments.of(ZEPHYR, "zephyr", "<|system|>\nYou are terse.</s>\n<|user|>\nHi</s>\n<|assistant|>\n"
                        + "Hello!</s>\n<|user|>\nTell me a story.</s>\n<|assistant|>\n"),
                Arguments.of(null, "plain", "System: You are terse.\nUser: Hi\nAssistant: Hello!\n"
                        + "User: Tell me a story.\nAssistant:"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("families")
    void rendersATwoTurnChatWithASystemMessage(String template, String name, String expected) {
        ChatTemplate t = ChatTemplate.of(template);
        assertThat(t.name()).isEqualTo(name);
        assertThat(t.render(CHAT)).isEqualTo(expected);
    }

    static Stream<Arguments> detection() {
        String unrecognised = "plain (unrecognised chat_template)";
        return Stream.of(
                Arguments.of("{%- for message in messages %}{{- '<|im_start|>' + message.role + '\\n' }}", "chatml"),
                Arguments.of("{{- bos_token }}{%- if custom_tools is defined %}{{- '<|start_header_id|>system"
                        + "<|end_header_id|>\\n\\n' }}{{- \"Cutting Knowledge Date: December 2023\\n\" }}", "llama3"),
                // Mistral-7B-Instruct-v0.1: [INST] without <<SYS>>, rendered the Llama 2 way.
                Arguments.of("{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}"
                        + "{{ '[INST] ' + message['content'] + ' [/INST]' }}", "llama2"),
                Arguments.of("{% if message['role'] == 'user' %}{{ '<|user|>\\n' + message['content'] + eos_token }}"
                        + "{% if add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}", "zephyr"),
                // Phi-3: Zephyr's role tags but <|end|> ends a turn.
                Arguments.of("{% if message['role'] == 'user' %}{{'<|user|>' + '\\n' + message['content'] + '<|end|>'"
                        + " + '\\n' + '<|assistant|>' + '\\n'}}", unrecognised),
                // Phi-4: ChatML's tags with <|im_sep|> after the role.
                Arguments.of("{{'<|im_start|>user<|im_sep|>' + message['content'] + '<|im_end|>'}}", unrecognised),
                // Gemma.
                Arguments.of("{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}",
                        unrecognised),
                Arguments.of("{% for message in messages %}{{ message.content }}{{ eos_token }}{% endfor %}",
                        unrecognised),
                Arguments.of("  ", "plain"),
                Arguments.of(null, "plain"));
    }

    @ParameterizedTest(name = "{1}: {0}")
    @MethodSource("detection")
    void detectsTheFamilyFromCharacteristicMarkers(String template, String name) {
        assertThat(ChatTemplate.of(template).name()).isEqualTo(name);
    }

    @Test
    void anUnrecognisedTemplateRendersPlain() {
        assertThat(ChatTemplate.of("{{ '<start_of_turn>' }}").render(CHAT))
                .isEqualTo(ChatTemplate.plain().render(CHAT));
    }

    @Test
    void developerIsRenderedAsSystem() {
        List<Message> chat = List.of(new Message("developer", "Be brief."), new Message("user", "Hi"));
        assertThat(ChatTemplate.plain().render(chat)).isEqualTo("System: Be brief.\nUser: Hi\nAssistant:");
        assertThat(ChatTemplate.of(QWEN2).render(chat)).startsWith("<|im_start|>system\nBe brief.<|im_end|>\n");
        assertThat(ChatTemplate.of(LLAMA2).render(chat)).isEqualTo("[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST]");
    }

    @Test
    void llamaTemplatesStripContentAsTheirJinjaDoes() {
        List<Message> chat = List.of(new Message("user", "  Hi\n"));
        assertThat(ChatTemplate.of(LLAMA3).render(chat))
                .isEqualTo("<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n");
        assertThat(ChatTemplate.of(LLAMA2).render(chat)).isEqualTo("[INST] Hi [/INST]");
        assertThat(ChatTemplate.of(QWEN2).render(chat)).contains("user\n  Hi\n<|im_end|>");
    }

    @Test
    void llama2FoldsALaterSystemMessageIntoTheNextUserTurn() {
        List<Message> chat = List.of(new Message("user", "Hi"), new Message("assistant", "Hello!"),
                new Message("system", "Now be formal."), new Message("user", "Bye"));
        assertThat(ChatTemplate.of(LLAMA2).render(chat)).isEqualTo("[INST] Hi [/INST] Hello! </s>"
                + "<s>[INST] <<SYS>>\nNow be formal.\n<</SYS>>\n\nBye [/INST]");
    }

    @Test
    void llama2RequiresAlternatingTurnsEndingWithTheUser() {
        ChatTemplate llama2 = ChatTemplate.of(LLAMA2);
        assertThatThrownBy(() -> llama2.render(List.of(new Message("user", "a"), new Message("user", "b"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("messages[1].role: expected 'assistant' (the llama2 template alternates user and"
                        + " assistant turns), found 'user'");
        assertThatThrownBy(() -> llama2.render(List.of(new Message("system", "s"), new Message("assistant", "a"),
                        new Message("user", "u"))))
                .hasMessageStartingWith("messages[1].role: expected 'user'");
        assertThatThrownBy(() -> llama2.render(List.of(new Message("user", "u"), new Message("system", "s"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("messages[1]: expected a user message after this system message");
    }

    @Test
    void rejectsAnEmptyListAndATrailingAssistantMessage() {
        ChatTemplate plain = ChatTemplate.plain();
        assertThatThrownBy(() -> plain.render(List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("messages: expected at least one message, found none");
        assertThatThrownBy(() -> plain.render(List.of(new Message("user", "Hi"), new Message("assistant", "He"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("messages[1].role: expected the last message to be from system, user or developer"
                        + " (continuing an assistant message is not supported), found 'assistant'");
    }

    @Test
    void messagesValidateRoleAndContent() {
        assertThatThrownBy(() -> Message.of(2, "bot", "x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("messages[2].role: expected one of system, user, assistant, developer, found 'bot'");
        assertThatThrownBy(() -> Message.of(0, null, "x"))
                .hasMessage("messages[0].role: expected one of system, user, assistant, developer, found null");
        assertThatThrownBy(() -> Message.of(1, "user", null))
                .hasMessage("messages[1].content: expected a string, found null");
        assertThatThrownBy(() -> new Message("User", "x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("role: expected one of system, user, assistant, developer, found 'User'");
        assertThat(Message.of(3, "developer", "")).isEqualTo(new Message("developer", ""));
    }

    @Test
    void forModelReadsAStringTemplateFromTokenizerConfig(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"),
                "{\"bos_token\": \"<s>\", \"chat_template\": \"" + json(LLAMA2) + "\"}");
        assertThat(ChatTemplate.forModel(dir).name()).isEqualTo("llama2");
    }

    @Test
    void forModelTakesTheDefaultOfAnArrayOfTemplatesElseTheFirst(@TempDir Path dir) throws IOException {
        Path config = dir.resolve("tokenizer_config.json");
        Files.writeString(config, "{\"chat_template\": [{\"name\": \"tool_use\", \"template\": \"" + json(ZEPHYR)
                + "\"}, {\"name\": \"default\", \"template\": \"" + json(QWEN2) + "\"}]}");
        assertThat(ChatTemplate.forModel(dir).name()).isEqualTo("chatml");
        Files.writeString(config, "{\"chat_template\": [{\"name\": \"rag\", \"template\": \"" + json(LLAMA3)
                + "\"}, {\"name\": \"tool_use\", \"template\": \"" + json(QWEN2) + "\"}]}");
        assertThat(ChatTemplate.forModel(dir).name()).isEqualTo("llama3");
    }

    @Test
    void forModelPrefersChatTemplateJinja(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": \"" + json(LLAMA2) + "\"}");
        Files.writeString(dir.resolve("chat_template.jinja"), ZEPHYR);
        assertThat(ChatTemplate.forModel(dir).name()).isEqualTo("zephyr");
    }

    @Test
    void forModelWithoutATemplateIsPlain(@TempDir Path dir) throws IOException {
        assertThat(ChatTemplate.forModel(dir).name()).isEqualTo("plain");
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"model_max_length\": 2048}");
        assertThat(ChatTemplate.forModel(dir).name()).isEqualTo("plain");
        Path bin = Files.writeString(dir.resolve("stories260K.bin"), "not a folder");
        assertThat(ChatTemplate.forModel(bin).name()).isEqualTo("plain");
    }

    @Test
    void theBundledModelsUseThePlainTemplate() {
        assertThat(ChatTemplate.forModel(Path.of("../models/kjv-ee-12l")).name()).isEqualTo("plain");
        assertThat(ChatTemplate.forModel(Path.of("../models/stories260K/stories260K.bin")).name()).isEqualTo("plain");
    }

    @Test
    void forModelRejectsAMalformedTokenizerConfigNamingTheFile(@TempDir Path dir) throws IOException {
        Path config = Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": \"{{ x }}\",\n}");
        assertThatThrownBy(() -> ChatTemplate.forModel(dir))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(config + ": malformed JSON: ")
                .hasMessageContaining("line 2");
        Files.writeString(config, "{\"chat_template\": 42}");
        assertThatThrownBy(() -> ChatTemplate.forModel(dir))
                .hasMessage(config + ": chat_template: expected a string or an array of {name, template} objects,"
                        + " found a number 42");
        Files.writeString(config, "{\"chat_template\": [{\"name\": \"default\"}]}");
        assertThatThrownBy(() -> ChatTemplate.forModel(dir))
                .hasMessage(config + ": chat_template: expected the template of entry 'default' to be a string,"
                        + " found nothing");
        Files.writeString(config, "[]");
        assertThatThrownBy(() -> ChatTemplate.forModel(dir))
                .hasMessage(config + ": expected a JSON object, found an array");
    }

    /** {@code s} as the inside of a JSON string literal. */
    private static String json(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
