/* Loaded in <head>, before the page is drawn: tells the style sheet that JavaScript runs, so
   that what it folds (the directory's filters on a phone) is folded from the first paint. */
document.documentElement.classList.add("js");
