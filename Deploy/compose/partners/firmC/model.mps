* Firm C's private model. It takes in inC products from firm B and sells sC of them.
*   profit = revenue 20 sC - sC^2
* Q[sC][sC] = -2 gives -sC^2.
NAME firmC
OBJSENSE
    MAX
ROWS
 N  PROFIT
 L  SALES
COLUMNS
    inC       SALES     -1
    sC        PROFIT    20        SALES     1
QUADOBJ
    sC        sC        -2
ENDATA
