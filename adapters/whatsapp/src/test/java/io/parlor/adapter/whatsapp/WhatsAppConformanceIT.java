package io.parlor.adapter.whatsapp;

import com.fasterxml.jackson.databind.JsonNode;
import io.parlor.adapter.meta.GraphNetwork;
import io.parlor.spi.Adapter;
import io.parlor.spi.AdapterContext;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.ContentKind;
import io.parlor.spi.envelope.NetworkId;
import io.parlor.tck.AdapterConformanceKit;
import io.parlor.tck.NetworkFake;
import java.time.Duration;
import java.time.Instant;

/** The conformance kit against the WhatsApp adapter: WireMock plays the Cloud API, the webhook its calls. */
class WhatsAppConformanceIT extends AdapterConformanceKit {
  static final String NUMBER_ID = "106540352242922";
  static final String USER = "15551234567";

  @Override
  protected NetworkFake startNetwork() {
    return new WhatsAppNetwork();
  }

  @Override
  protected Adapter createAdapter(NetworkFake network, AdapterContext context) {
    WhatsAppNetwork n = (WhatsAppNetwork) network;
    Adapter a = new WhatsAppAdapterProvider().create(new WhatsAppConfig(NUMBER_ID,
        TestSupport.graph(n.baseUrl(), 1000, Duration.ofSeconds(5))), context);
    n.routes = a.routes();
    return a;
  }

  static final class WhatsAppNetwork extends GraphNetwork {
    WhatsAppNetwork() {
      super("/v21.0/" + NUMBER_ID + "/messages", "{\"messaging_product\":\"whatsapp\",\"contacts\":[{\"input\":\"" + USER
          + "\",\"wa_id\":\"" + USER + "\"}],\"messages\":[{\"id\":\"wamid.KITOUT\"}]}");
    }

    @Override
    public NetworkId network() {
      return TestSupport.NETWORK;
    }

    @Override
    public Address recipient() {
      return Address.of("whatsapp:+" + USER);
    }

    private static String change(String value) {
      return "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"102290129340398\",\"changes\":[{\"value\":"
          + "{\"messaging_product\":\"whatsapp\",\"metadata\":{\"display_phone_number\":\"15550783881\",\"phone_number_id\":\""
          + NUMBER_ID + "\"}," + value + "},\"field\":\"messages\"}]}]}";
    }

    @Override
    protected String textPayload(String id, String text) {
      return change("\"contacts\":[{\"profile\":{\"name\":\"Walt\"},\"wa_id\":\"" + USER + "\"}],\"messages\":[{\"from\":\""
          + USER + "\",\"id\":\"wamid." + id + "\",\"timestamp\":\"" + Instant.now().getEpochSecond()
          + "\",\"type\":\"text\",\"text\":{\"body\":" + JSON.valueToTree(text) + "}}]");
    }

    private void status(String status) {
      webhook(change("\"statuses\":[{\"id\":\"wamid.KITOUT\",\"status\":\"" + status + "\",\"timestamp\":\""
          + Instant.now().getEpochSecond() + "\",\"recipient_id\":\"" + USER + "\"}]"));
    }

    @Override
    public boolean receiptOfLast() {
      status("delivered");
      return true;
    }

    @Override
    public boolean readLast() {
      status("read");
      return true;
    }

    @Override
    protected Delivered kindOf(JsonNode b) {
      String type = b.path("type").asText("");
      return switch (type) {
        case "text" -> new Delivered(ContentKind.TEXT, b.path("text").path("body").asText());
        case "image", "audio", "video", "document", "sticker" -> new Delivered(ContentKind.MEDIA, null);
        case "reaction" -> new Delivered(ContentKind.REACTION, null);
        case "location" -> new Delivered(ContentKind.LOCATION, null);
        case "template" -> new Delivered(ContentKind.TEXT, b.toString());
        default -> null; // a read mark or typing indicator, not a message
      };
    }

    @Override
    public int readsShown() {
      return (int) sends().stream().filter(b -> b.path("status").asText().equals("read") && !b.has("typing_indicator")).count();
    }

    @Override
    public int typingShown() {
      return (int) sends().stream().filter(b -> b.has("typing_indicator")).count();
    }

    @Override
    protected int permanentCode() {
      return 131026;
    }

  }
}
