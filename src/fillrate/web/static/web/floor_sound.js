// Sounds of the warehouse floor (scan, pack): a short high beep for a good
// scan, a low double buzz for a wrong one, made with WebAudio so no sound file
// is needed. Browsers only let a page make sound after the person touched or
// typed in it, so the audio context is made on the first key or touch and
// kept for the life of the page (the scan screen swaps fragments, it does not
// reload). `window.floorSound.ok()` / `.error()`; an element that arrives with
// `data-tone="ok|error"` (a message the server rendered) plays its tone.
(function () {
  let context = null;

  function audio() {
    if (context) return context;
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return null;
    try {
      context = new Context();
    } catch (error) {
      context = null;
    }
    return context;
  }

  function tone(frequency, start, length, wave) {
    const ctx = audio();
    if (!ctx) return;
    if (ctx.state === "suspended") ctx.resume();
    const oscillator = ctx.createOscillator();
    const gain = ctx.createGain();
    oscillator.type = wave;
    oscillator.frequency.value = frequency;
    const at = ctx.currentTime + start;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.3, at + 0.01);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + length);
    oscillator.connect(gain);
    gain.connect(ctx.destination);
    oscillator.start(at);
    oscillator.stop(at + length + 0.02);
  }

  const sound = {
    played: [],  // what was played, newest last (the browser tests read it)
    ok: function () {
      sound.played.push("ok");
      tone(1320, 0, 0.09, "sine");
    },
    error: function () {
      sound.played.push("error");
      tone(180, 0, 0.18, "square");
      tone(140, 0.22, 0.28, "square");
    },
    play: function (name) {
      if (name === "ok" || name === "error") sound[name]();
    },
  };
  window.floorSound = sound;

  function wake() { audio(); }
  document.addEventListener("keydown", wake, { once: true, capture: true });
  document.addEventListener("pointerdown", wake, { once: true, capture: true });

  function announce(root) {
    // `root` itself too: htmx:load fires on each element it swapped in.
    const found = Array.from(root.querySelectorAll("[data-tone]"));
    if (root.matches && root.matches("[data-tone]")) found.unshift(root);
    found.forEach(function (element) {
      if (element.dataset.toned) return;
      element.dataset.toned = "1";
      sound.play(element.dataset.tone);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { announce(document); });
  document.addEventListener("htmx:load", function (event) { announce(event.target); });
})();
