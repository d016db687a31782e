// The demo's service worker: shows a Unichat push (Web Push, decrypted by the browser) as a
// notification, and focuses or opens the demo when it is clicked. The push's JSON is
// { title, body, tag, unichat: { event, user_id } }; pushes with the same tag replace each other.
self.addEventListener('push', (event) => {
  let push = {};
  try {
    push = event.data ? event.data.json() : {};
  } catch {
    push = { body: event.data ? event.data.text() : '' };
  }
  event.waitUntil(
    self.registration.showNotification(push.title || 'Unichat', {
      body: push.body || '',
      tag: push.tag || undefined,
      data: push.unichat || null,
    }),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil(
    self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((windows) => {
      const open = windows.find((client) => new URL(client.url).pathname.startsWith('/demo'));
      return open ? open.focus() : self.clients.openWindow('/demo/');
    }),
  );
});
