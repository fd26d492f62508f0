// The admin's periodic task form (django-celery-beat): the crontab's help text also
// says the chosen schedule in words. A static file, because the Content-Security-Policy
// refuses the inline script django-celery-beat's template has.
(function () {
  const $ = django.jQuery;
  const readableCrontabs = JSON.parse($("#readable-crontabs").text());
  const help = $(".field-crontab .help");
  const originalCrontabHelp = help.html();

  $(".field-crontab_translation").hide();
  $(".field-crontab").change(function () {
    const words = readableCrontabs[$("#id_crontab").val()];
    help.html(originalCrontabHelp);
    if (words) {
      help.append($("<br>"), document.createTextNode(`Translation: ${words}`));
    }
  });
})();
