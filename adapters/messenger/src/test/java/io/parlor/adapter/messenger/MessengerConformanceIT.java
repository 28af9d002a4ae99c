package io.parlor.adapter.messenger;

import com.fasterxml.jackson.databind.JsonNode;
import io.parlor.adapter.meta.GraphNetwork;
import io.parlor.spi.Adapter;
import io.parlor.spi.AdapterContext;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.ContentKind;
import io.parlor.spi.envelope.NetworkId;
import io.parlor.tck.AdapterConformanceKit;
import io.parlor.tck.NetworkFake;

/** The conformance kit against the Messenger adapter: WireMock plays the Send API, the webhook its calls. */
class MessengerConformanceIT extends AdapterConformanceKit {
  static final String PSID = "6543210987654321";

  @Override
  protected NetworkFake startNetwork() {
    return new MessengerNetwork();
  }

  @Override
  protected Adapter createAdapter(NetworkFake network, AdapterContext context) {
    MessengerNetwork n = (MessengerNetwork) network;
    Adapter a = new MessengerAdapterProvider().create(TestSupport.config(Platform.MESSENGER, n.baseUrl(), 1000),
        context);
    n.routes = a.routes();
    return a;
  }

  static final class MessengerNetwork extends GraphNetwork {
    MessengerNetwork() {
      super("/v21.0/me/messages", "{\"recipient_id\":\"" + PSID + "\",\"message_id\":\"m_KITOUT\"}");
    }

    @Override
    public NetworkId network() {
      return NetworkId.of("messenger");
    }

    @Override
    public Address recipient() {
      return Address.of("messenger:" + PSID);
    }

    private static String event(String event) {
      long now = System.currentTimeMillis();
      return "{\"object\":\"page\",\"entry\":[{\"id\":\"" + TestSupport.PAGE_ID + "\",\"time\":" + now + ",\"messaging\":[{"
          + "\"sender\":{\"id\":\"" + PSID + "\"},\"recipient\":{\"id\":\"" + TestSupport.PAGE_ID + "\"},\"timestamp\":" + now
          + "," + event + "}]}]}";
    }

    @Override
    protected String textPayload(String id, String text) {
      return event("\"message\":{\"mid\":\"m_" + id + "\",\"text\":" + JSON.valueToTree(text) + "}");
    }

    @Override
    public boolean readLast() {
      webhook(event("\"read\":{\"watermark\":" + (System.currentTimeMillis() + 1000) + "}"));
      return true;
    }

    @Override
    protected Delivered kindOf(JsonNode b) {
      JsonNode m = b.path("message");
      if (m.has("text")) {
        return new Delivered(ContentKind.TEXT, m.path("text").asText());
      }
      if (m.has("attachment")) {
        return new Delivered(ContentKind.MEDIA, null);
      }
      String action = b.path("sender_action").asText("");
      return action.equals("react") || action.equals("unreact") ? new Delivered(ContentKind.REACTION, null) : null;
    }

    @Override
    public int readsShown() {
      return (int) sends().stream().filter(b -> b.path("sender_action").asText().equals("mark_seen")).count();
    }

    @Override
    public int typingShown() {
      return (int) sends().stream().filter(b -> b.path("sender_action").asText().equals("typing_on")).count();
    }

    @Override
    protected int permanentCode() {
      return 551;
    }
  }
}
